"""The vendor-specific steps of a sync job: submit, status, fetch and member push.

Each function takes a :class:`~diarization_portal.conversations.models.Job` (``account`` and
``conversation`` loaded) and the client from :func:`~diarization_portal.sync.clients.client_for`,
and returns the portal's own types. Errors: :class:`~providers.types.ProviderError` from the
clients (plus ``error_type="config"`` for a job the vendor cannot take), ValueError for bad
arguments, and :class:`Resubmit` when an identical new submit may succeed.

``Job.options`` per vendor (all optional unless noted):

* Symbl: none (``speaker_count`` = exact ``diarizationSpeakerCount``, vendor-apis.md 1.2).
* ElevenLabs: ``{"product": "stt" | "pvc", "model_id": "scribe_v1"}``; PVC requires
  ``"voice_id"`` and ``"sample_id"`` (2.1). STT ``speaker_count`` = ``num_speakers`` (max).
* Phonexia: ``{"channel_mode": "split" | "mix", "max_speakers": int}``; ``speaker_count`` =
  ``total_speakers`` (exact, 3.1). Needs an uploaded ``media`` file.
* DeepAffects: ``{"encoding": "FLAC" | "Wave" | "MP3"…, "sample_rate": Hz}`` (both required)
  and ``"audio_type": "meeting" | "callcenter"`` (4.1).
"""

from __future__ import annotations

import hashlib
import mimetypes
import uuid
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from diarization_portal.conversations.models import Job, JobKind, Member, Vendor
from providers import jobs
from providers.deepaffects import webhook_to_transcript
from providers.elevenlabs import PvcSeparation, stt_to_transcript
from providers.formats._common import UNKNOWN_LABEL
from providers.jobs import JobStatus
from providers.types import ParseError, ProviderError, Speaker, Transcript, Utterance

from . import timing

_NAMESPACE = uuid.UUID("5b0f2b8e-6f0e-4d52-9d3c-2a4f6f3c9a10")


class Resubmit(Exception):
    """The vendor lost or failed the task in a way an identical new submit may fix
    (Phonexia ``failed`` or 404 on a known task, DeepAffects silent for too long)."""


@dataclass(frozen=True)
class Submitted:
    """What a submit returned: the vendor job id and, when the vendor has one, the vendor's
    conversation id (Symbl ``conversationId``, ElevenLabs ``transcription_id``, PVC
    ``voice_id/sample_id``)."""

    vendor_job_id: str
    vendor_conversation_id: str = ""


def product(job: Job) -> str:
    """``"pvc"`` or ``"stt"`` for ElevenLabs jobs, else ``""``."""
    if job.account is None or job.account.vendor != Vendor.ELEVENLABS:
        return ""
    return "pvc" if (job.options or {}).get("product") == "pvc" else "stt"


def pushable(job: Job) -> bool:
    """True when the vendor accepts member updates for this job's conversation: Symbl
    (members PUT) and ElevenLabs PVC (selected speakers)."""
    return job.account is not None and (job.account.vendor == Vendor.SYMBL or product(job) == "pvc")


def result_key(job: Job) -> str:
    """Stable hex SHA-256 naming the job's result for
    :func:`~diarization_portal.conversations.services.imports.transcript_import` (message
    ids and member scope), so importing the same result again changes nothing."""
    return hashlib.sha256(f"sync-job:{job.webhook_token}".encode()).hexdigest()


def webhook_url(name: str, token: str) -> str | None:
    """Absolute URL of webhook view ``sync:<name>`` for ``token``, or ``None`` when
    ``settings.PUBLIC_BASE_URL`` is blank (vendors cannot reach us: poll only)."""
    base = getattr(settings, "PUBLIC_BASE_URL", "")
    return f"{base}{reverse(f'sync:{name}', args=[token])}" if base else None


def deepaffects_request_id(job: Job, attempt: int | None = None) -> str:
    """Our DeepAffects ``request_id`` for submit number ``attempt`` (default: the job's
    ``attempts``): a UUID derived from the secret ``webhook_token``, so it is unguessable,
    stable across a crash and new for every resubmit (vendor-apis.md 4.3)."""
    n = job.attempts if attempt is None else attempt
    return str(uuid.uuid5(_NAMESPACE, f"{job.webhook_token}:{n}"))


def deepaffects_request_ids(job: Job) -> set[str]:
    """Every request id this job may have sent so far (its submits and the last one)."""
    ids = {deepaffects_request_id(job, n) for n in range(job.attempts + 1)}
    return ids | ({job.vendor_job_id} if job.vendor_job_id else set())


def media(job: Job) -> tuple[bytes, str, str | None]:
    """``(bytes, file name, content type or None)`` of the job's uploaded recording, read
    whole into memory. Raises ``ProviderError(error_type="config")`` (terminal) when there is
    none or it cannot be read."""
    if not job.media:
        raise ProviderError("this job has no uploaded recording", error_type="config")
    try:
        with job.media.open("rb") as fh:
            data = fh.read()
    except OSError as err:
        raise ProviderError(
            f"the uploaded recording cannot be read ({type(err).__name__})", error_type="config"
        ) from None
    name = PurePosixPath(job.media.name).name
    return data, name, mimetypes.guess_type(name)[0]


# -- submit ---------------------------------------------------------------------------------


def submit(job: Job, client) -> Submitted:
    """Start the vendor's work for ``job`` (vendor-apis.md 1.2, 2.1, 2.2, 3.1, 4.1)."""
    vendor = job.account.vendor
    if vendor == Vendor.SYMBL:
        return _symbl_submit(job, client)
    if vendor == Vendor.ELEVENLABS:
        return _pvc_submit(job, client) if product(job) == "pvc" else _stt_submit(job, client)
    if vendor == Vendor.PHONEXIA:
        data, name, _ = media(job)
        opts = job.options or {}
        task_id = client.start_diarization(
            data,
            name,
            total_speakers=job.speaker_count,
            max_speakers=opts.get("max_speakers"),
            channel_mode=opts.get("channel_mode", "split"),
            correlation_id=str(uuid.uuid5(_NAMESPACE, job.webhook_token)),
        )
        return Submitted(task_id)
    if vendor == Vendor.DEEPAFFECTS:
        return _deepaffects_submit(job, client)
    raise ProviderError(f"cannot submit to {vendor!r}", error_type="config")


def _symbl_submit(job: Job, client) -> Submitted:
    options = {
        "speaker_count": job.speaker_count,
        "language": job.language or None,
        "webhook_url": webhook_url("symbl_webhook", job.webhook_token),
    }
    if job.kind == JobKind.APPEND:
        conversation_id = job.conversation.external_id
        if not conversation_id:
            raise ProviderError(
                "no Symbl conversation to append to: process a first recording",
                error_type="config",
            )
        if job.source_url:
            result = client.append_url(conversation_id, job.source_url, **options)
        else:
            data, _, content_type = media(job)
            result = client.append_file(conversation_id, data, content_type, **options)
    else:
        name = f"diarization-portal-job-{job.pk}"
        if job.source_url:
            result = client.submit_url(job.source_url, name=name, **options)
        else:
            data, _, content_type = media(job)
            result = client.submit_file(data, content_type, name=name, **options)
    return Submitted(result.job_id, result.conversation_id)


def _stt_submit(job: Job, client) -> Submitted:
    options = {
        "model_id": (job.options or {}).get("model_id", "scribe_v1"),
        "num_speakers": job.speaker_count,
        "language": job.language or None,
        "webhook": True,
        "webhook_metadata": {"portal_job_id": job.pk},
    }
    if job.source_url:
        accepted = client.transcribe(source_url=job.source_url, **options)
    else:
        data, name, _ = media(job)
        accepted = client.transcribe(data, filename=name, **options)
    return Submitted(accepted.request_id, accepted.transcription_id or "")


def pvc_ids(job: Job) -> tuple[str, str]:
    """``(voice_id, sample_id)`` of a PVC job's options. Raises
    ``ProviderError(error_type="config")`` when either is missing."""
    opts = job.options or {}
    voice_id, sample_id = opts.get("voice_id"), opts.get("sample_id")
    if not voice_id or not sample_id:
        raise ProviderError("PVC jobs need voice_id and sample_id options", error_type="config")
    return str(voice_id), str(sample_id)


def _pvc_submit(job: Job, client) -> Submitted:
    voice_id, sample_id = pvc_ids(job)
    # Start only when not started (or failed: a new job is the manual restart), 2.5.
    if client.separation_status(voice_id, sample_id).status in ("not_started", "failed"):
        client.start_separation(voice_id, sample_id)
    return Submitted(f"{voice_id}/{sample_id}", f"{voice_id}/{sample_id}")


def _deepaffects_submit(job: Job, client) -> Submitted:
    hook = webhook_url("deepaffects_webhook", job.webhook_token)
    if not hook:
        raise ProviderError(
            "DeepAffects only answers by webhook: set PUBLIC_BASE_URL", error_type="config"
        )
    opts = job.options or {}
    audio = {"url": job.source_url} if job.source_url else {"content": media(job)[0]}
    request_id = client.diarize_async(
        request_id=job.vendor_job_id or deepaffects_request_id(job),
        webhook_url=hook,
        encoding=opts.get("encoding", ""),
        sample_rate=opts.get("sample_rate", 0),
        speakers=job.speaker_count or -1,
        audio_type=opts.get("audio_type", "meeting"),
        language=job.language or "en-US",
        **audio,
    )
    return Submitted(request_id)


# -- status ---------------------------------------------------------------------------------


def status(job: Job, client) -> JobStatus:
    """One poll of the vendor job as a :class:`~providers.jobs.JobStatus`. Raises
    :class:`Resubmit` (Phonexia failed/404, DeepAffects stale) or ProviderError."""
    vendor = job.account.vendor
    if vendor == Vendor.SYMBL:
        return client.job_status(job.vendor_job_id)
    if vendor == Vendor.ELEVENLABS:
        if product(job) == "pvc":
            return client.separation_status(*pvc_ids(job)).job_status
        return _stt_status(job, client)
    if vendor == Vendor.PHONEXIA:
        try:
            state = client.task(job.vendor_job_id).job_status
        except ProviderError as err:
            if err.status == 404:
                raise Resubmit(f"Phonexia no longer knows task {job.vendor_job_id}") from err
            raise
        if state.state == jobs.FAILED:
            raise Resubmit(state.error or "Phonexia task failed")
        return state
    if vendor == Vendor.DEEPAFFECTS:
        if job.result_payload is not None:
            return JobStatus(jobs.DONE, "webhook")
        # No polling endpoint: without a webhook for this long, submit again (4.3).
        stale = timing.seconds("deepaffects_stale")
        if job.submitted_at and (timezone.now() - job.submitted_at).total_seconds() > stale:
            raise Resubmit(f"DeepAffects sent no result within {stale / 60:g} min")
        return JobStatus(jobs.PROCESSING, "waiting_for_webhook")
    raise ProviderError(f"cannot poll {vendor!r}", error_type="config")


def _stt_status(job: Job, client) -> JobStatus:
    if job.result_payload is not None:
        return JobStatus(jobs.DONE, "webhook")
    if not job.vendor_conversation_id:
        return JobStatus(jobs.PROCESSING, "waiting_for_webhook")
    try:
        client.get_transcript(job.vendor_conversation_id)
    except ProviderError as err:
        if err.status == 404:
            return JobStatus(jobs.PROCESSING, "not_ready")
        raise
    return JobStatus(jobs.DONE, "completed")


# -- fetch ----------------------------------------------------------------------------------


def fetch(job: Job, client) -> Transcript:
    """The finished result as a :class:`~providers.types.Transcript`. Raises ProviderError
    (``parse_error`` for an unreadable result, ``not_ready`` (retryable) when missing)."""
    vendor = job.account.vendor
    if vendor == Vendor.SYMBL:
        return client.fetch_transcript(job.vendor_conversation_id or job.conversation.external_id)
    if vendor == Vendor.ELEVENLABS:
        if product(job) == "pvc":
            return pvc_transcript(client.separation_status(*pvc_ids(job)))
        if job.result_payload is not None:
            return _parsed("ElevenLabs webhook", stt_to_transcript, job.result_payload)
        return client.get_transcript(job.vendor_conversation_id)
    if vendor == Vendor.PHONEXIA:
        task = client.task(job.vendor_job_id)
        if task.transcript is None:
            raise ProviderError(
                f"Phonexia task is {task.state}", retryable=True, error_type="not_ready"
            )
        return task.transcript
    if vendor == Vendor.DEEPAFFECTS:
        if job.result_payload is None:
            raise ProviderError(
                "no DeepAffects webhook yet", retryable=True, error_type="not_ready"
            )
        return _parsed(
            "DeepAffects webhook", lambda b: webhook_to_transcript(b)[1], job.result_payload
        )
    raise ProviderError(f"cannot fetch from {vendor!r}", error_type="config")


def pvc_transcript(separation: PvcSeparation) -> Transcript:
    """PVC separation speakers as a text-less Transcript (``source="pvc"``, labels =
    ``speaker_id``, times in seconds). Raises ProviderError when not ``completed``."""
    if separation.status != "completed":
        raise ProviderError(
            f"speaker separation is {separation.status}", retryable=True, error_type="not_ready"
        )
    speakers = [Speaker(label=s.speaker_id) for s in separation.speakers]
    utterances = sorted(
        (
            Utterance(s.speaker_id, start, end)
            for s in separation.speakers
            for start, end in s.utterances
        ),
        key=lambda u: (u.start, u.end),
    )
    return Transcript(source="pvc", speakers=speakers, utterances=utterances)


def _parsed(where: str, parse, body) -> Transcript:
    try:
        return parse(body)
    except ParseError as err:
        raise ProviderError(f"{where}: unreadable result: {err}", error_type="parse_error") from err


# -- member push ----------------------------------------------------------------------------


def push(member: Member, job: Job, client) -> None:
    """Send ``member``'s edit to the vendor of ``job``'s conversation.

    Symbl (1.5): ``PUT …/members/{vendor_label}`` with the name and email of the live member
    that now stands for it (for a merged member: the survivor's, so Symbl merges by email
    when the survivor has one, else it only renames). ElevenLabs PVC (2.1, 2.5): POST the
    full ``selected_speaker_ids`` list of :func:`pvc_labels`.
    Raises ProviderError (``push_unsupported`` for other vendors).
    """
    if job.account.vendor == Vendor.SYMBL:
        if not member.vendor_label or member.vendor_label == UNKNOWN_LABEL:
            raise ProviderError("this speaker is not a Symbl member", error_type="push_unsupported")
        survivor = member
        for _ in range(1000):
            if survivor.merged_into_id is None:
                break
            survivor = Member.objects.get(pk=survivor.merged_into_id)
        conversation_id = job.conversation.external_id or job.vendor_conversation_id
        client.update_member(
            conversation_id, member.vendor_label, name=survivor.name, email=survivor.email or None
        )
        return
    if product(job) == "pvc":
        client.select_speakers(*pvc_ids(job), pvc_labels(job))
        return
    raise ProviderError(
        f"{job.account.get_vendor_display()} does not accept member updates",
        error_type="push_unsupported",
    )


# -- PVC speaker selection ------------------------------------------------------------------


def pvc_tracks(job: Job) -> list[Member]:
    """The members that stand for the separated speakers of PVC ``job`` (one per vendor
    ``speaker_id``, merged or not), in order of first appearance: the members its result
    brought in (``label_scope`` = the job's result scope, as in ``transcript_import``)."""
    return list(
        Member.objects.filter(conversation_id=job.conversation_id, label_scope=result_key(job)[:16])
        .exclude(vendor_label__in=["", UNKNOWN_LABEL])
        .order_by("position", "pk")
    )


def live_member(member: Member, by_pk: dict[int, Member]) -> Member:
    """Follow ``merged_into`` through ``by_pk`` (members by primary key, ``member``'s own
    row included) to the live member that stands for ``member``; rows are read from
    ``by_pk``."""
    member = by_pk.get(member.pk, member)
    for _ in range(1000):
        if member.merged_into_id is None or member.merged_into_id not in by_pk:
            break
        member = by_pk[member.merged_into_id]
    return member


def pvc_labels(job: Job) -> list[str]:
    """The full ``selected_speaker_ids`` list to send for PVC ``job`` (vendor-apis.md 2.1,
    2.5: the list replaces the previous selection): the ``speaker_id`` of every separated
    speaker whose live member is kept (``Member.pvc_selected``). A speaker merged into a
    kept member is kept too: merged speakers are one person, and each separated track of
    that person is voice material. Two queries."""
    tracks = pvc_tracks(job)
    by_pk = {
        m.pk: m
        for m in Member.objects.filter(conversation_id=job.conversation_id).only(
            "pk", "merged_into_id", "pvc_selected"
        )
    }
    return [t.vendor_label for t in tracks if live_member(t, by_pk).pvc_selected]
