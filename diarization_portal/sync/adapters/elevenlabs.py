"""ElevenLabs (vendor-apis.md section 2): Speech-to-Text with a webhook (and transcript
polling), and Professional Voice Cloning speaker separation (PVC) with speaker selection."""

from __future__ import annotations

from diarization_portal.conversations.models import Job, Member, Vendor
from providers import jobs
from providers.elevenlabs import ElevenLabsClient, PvcSeparation, stt_to_transcript
from providers.formats._common import UNKNOWN_LABEL
from providers.jobs import JobStatus
from providers.types import ProviderError, Speaker, Transcript, Utterance

from . import VendorAdapter, register
from ._common import JobInputError, Submitted, media, parsed, result_key, vendor_session


def product(job: Job) -> str:
    """``"pvc"`` or ``"stt"`` for ElevenLabs jobs, else ``""``."""
    if job.account is None or job.account.vendor != Vendor.ELEVENLABS:
        return ""
    return "pvc" if (job.options or {}).get("product") == "pvc" else "stt"


def pvc_ids(job: Job) -> tuple[str, str]:
    """``(voice_id, sample_id)`` of a PVC job's options. Raises
    ``ProviderError(error_type="config")`` when either is missing."""
    opts = job.options or {}
    voice_id, sample_id = opts.get("voice_id"), opts.get("sample_id")
    if not voice_id or not sample_id:
        raise ProviderError("PVC jobs need voice_id and sample_id options", error_type="config")
    return str(voice_id), str(sample_id)


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


def pvc_tracks(job: Job) -> list[Member]:
    """The members that stand for the separated speakers of PVC ``job`` (one per vendor
    ``speaker_id``, merged or not), in order of first appearance: the members its result
    brought in (``label_scope`` = the job's result scope, as in ``transcript_import``)."""
    return list(
        Member.objects.filter(conversation_id=job.conversation_id, label_scope=result_key(job)[:16])
        .exclude(vendor_label__in=["", UNKNOWN_LABEL])
        .order_by("position", "pk")
    )


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
    return [t.vendor_label for t in tracks if t.survivor_among(by_pk).pvc_selected]


@register
class ElevenLabsAdapter(VendorAdapter):
    """ElevenLabs: ``{"product": "stt" | "pvc", "model_id": "scribe_v1"}``; PVC requires
    ``"voice_id"`` and ``"sample_id"`` (2.1). STT ``speaker_count`` = ``num_speakers``
    (max)."""

    vendor = Vendor.ELEVENLABS
    form_fields = ("product", "model_id", "voice_id", "sample_id")
    form_note = (
        "Speech-to-Text transcribes a recording; PVC separates the speakers of "
        "a voice sample already uploaded to ElevenLabs (no URL or file)."
    )

    def client(self, account, base_url: str) -> ElevenLabsClient:
        """:class:`~providers.elevenlabs.ElevenLabsClient` (``api_key``, region)."""
        return ElevenLabsClient(
            account.secret("api_key"), base_url=base_url, session=vendor_session("ElevenLabs")
        )

    def source_mode(self, options: dict) -> str:
        """PVC separates a sample ElevenLabs already has: no recording."""
        return "none" if options.get("product") == "pvc" else "url_or_file"

    def check_input(self, source_url: str, media, options: dict) -> None:
        """PVC: ``voice_id`` and ``sample_id``; STT: a URL or a file."""
        if options.get("product") == "pvc":
            if not options.get("voice_id") or not options.get("sample_id"):
                raise JobInputError(
                    "ElevenLabs PVC jobs need voice_id and sample_id", field="options"
                )
            return
        super().check_input(source_url, media, options)

    def job_options(self, data: dict) -> dict:
        """PVC: ``product``, ``voice_id``, ``sample_id``; STT: ``product``, ``model_id``."""
        if data.get("elevenlabs_product") == "pvc":
            return {
                "product": "pvc",
                "voice_id": data["elevenlabs_voice_id"].strip(),
                "sample_id": data["elevenlabs_sample_id"].strip(),
            }
        return {"product": "stt", "model_id": data.get("elevenlabs_model_id") or "scribe_v1"}

    def submit(self, job: Job, client) -> Submitted:
        """STT with ``webhook=true`` (2.2), or PVC separation started when not started or
        failed (2.1, 2.5)."""
        if product(job) == "pvc":
            voice_id, sample_id = pvc_ids(job)
            if client.separation_status(voice_id, sample_id).status in ("not_started", "failed"):
                client.start_separation(voice_id, sample_id)
            return Submitted(f"{voice_id}/{sample_id}", f"{voice_id}/{sample_id}")
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

    def status(self, job: Job, client) -> JobStatus:
        """PVC: the separation's status. STT: done once the webhook came or the transcript
        can be read."""
        if product(job) == "pvc":
            return client.separation_status(*pvc_ids(job)).job_status
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

    def fetch(self, job: Job, client) -> Transcript:
        """PVC: :func:`pvc_transcript`; STT: the webhook's body, else the transcript."""
        if product(job) == "pvc":
            return pvc_transcript(client.separation_status(*pvc_ids(job)))
        if job.result_payload is not None:
            return parsed("ElevenLabs webhook", stt_to_transcript, job.result_payload)
        return client.get_transcript(job.vendor_conversation_id)

    def pushable(self, job: Job) -> bool:
        """PVC jobs take a speaker selection."""
        return product(job) == "pvc"

    def push(self, member: Member, job: Job, client) -> None:
        """PVC (2.1, 2.5): POST the full ``selected_speaker_ids`` list of
        :func:`pvc_labels`; STT refuses (``push_unsupported``)."""
        if product(job) != "pvc":
            super().push(member, job, client)
            return
        client.select_speakers(*pvc_ids(job), pvc_labels(job))
