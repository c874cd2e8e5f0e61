"""Importing finished vendor results, the sweeper and webhooks (DESIGN §4)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F, Max, Q, QuerySet
from django.utils import timezone

from diarization_portal.conversations.models import (
    Conversation,
    Job,
    JobKind,
    JobState,
    Member,
    Message,
    SyncState,
)
from diarization_portal.conversations.services.imports import ImportRejected, transcript_import
from providers.formats._common import UNKNOWN_LABEL
from providers.types import ProviderError, Transcript

from .. import vendors
from ..vendors import result_key
from ._queue import enqueue
from .jobs import (
    ACTIVE,
    FINISHED,
    POLLING,
    SWEEP_BATCH,
    TASK_FOR_STATE,
    _as_error,
    _claim,
    _client,
    _resubmit,
    job_fail,
)


def job_import(*, job_id: int) -> Job | None:
    """Fetch the finished result and upsert it into the job's conversation
    (:func:`transcript_import`, idempotent; names people set are never overwritten), then
    ``importing → done``. Fetch failures go through :func:`job_fail`; a result the import
    refuses fails the job and writes nothing. Returns ``None`` when not due/importing.

    Not one transaction, on purpose (the result is fetched from the vendor in between): the
    claim commits first, then the whole import and the move to ``done`` are one transaction
    (:func:`_store`), or the failure is :func:`job_fail`'s.
    """
    job = _claim(job_id, [JobState.IMPORTING], "import")
    if job is None:
        return None
    try:
        transcript = vendors.fetch(job, _client(job))
    except vendors.Resubmit as reason:
        return _resubmit(job, str(reason))
    except (ProviderError, ValueError) as err:
        return job_fail(job=job, error=_as_error(err))
    try:
        return _store(job.pk, transcript)
    except ImportRejected as err:
        error = ProviderError(f"the vendor result cannot be imported: {err}", error_type="import")
        return job_fail(job=job, error=error)


@transaction.atomic
def _store(job_id: int, transcript: Transcript) -> Job:
    """Import ``transcript`` as the result of ``job_id`` and mark the job done, in one
    transaction. The job, then its conversation, are locked before anything is read: an
    appended recording's time offset is where the conversation ends once no other import
    into it can run."""
    job = Job.objects.select_for_update(of=("self",)).select_related("account").get(pk=job_id)
    if job.state != JobState.IMPORTING:
        return job
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("workspace")
        .get(pk=job.conversation_id)
    )
    first_import = not job.messages.exists()
    if job.kind == JobKind.APPEND and not transcript.global_speaker_ids and first_import:
        # An appended recording's own times follow what the conversation held so far.
        end = Message.objects.filter(conversation=conversation).aggregate(e=Max("end"))["e"]
        job.time_offset = end or 0.0
        Job.objects.filter(pk=job.pk).update(time_offset=job.time_offset)
    key = result_key(job)
    transcript_import(
        workspace=conversation.workspace,
        transcript=transcript,
        source_name=job.source_name or f"{conversation.vendor} job {job.pk}",
        sha256=key,
        into=conversation,
        job=job,
    )
    if vendors.pushable(job):  # these members exist at the vendor: edits can be pushed
        scope = "" if transcript.global_speaker_ids else key[:16]  # as transcript_import
        Member.objects.filter(
            conversation=conversation,
            label_scope=scope,
            vendor_label__in=[s.label for s in transcript.speakers if s.label != UNKNOWN_LABEL],
            sync_state=SyncState.LOCAL,
        ).update(sync_state=SyncState.SYNCED)
    Conversation.objects.filter(pk=conversation.pk, source_format="").update(
        source_format=transcript.source[:16]
    )
    if transcript.language and not conversation.language:
        Conversation.objects.filter(pk=conversation.pk).update(language=transcript.language[:16])
    now = timezone.now()
    Job.objects.filter(pk=job.pk).update(
        state=JobState.DONE,
        finished_at=now,
        next_check_at=None,
        error_type="",
        error_message="",
        **_privacy_after_import(job, conversation.workspace),
    )
    return Job.objects.get(pk=job.pk)


def _privacy_after_import(job: Job, workspace) -> dict:
    """The job fields to clear once its result is imported, per the workspace's privacy
    settings: ``media`` (the recording; the file is removed from storage after the commit)
    without ``record_voice`` or in ``zero_retention_mode``, and ``result_payload`` (the raw
    vendor result a webhook brought) in ``zero_retention_mode``."""
    fields: dict = {}
    if job.media and (workspace.zero_retention_mode or not workspace.record_voice):
        storage, name = job.media.storage, job.media.name
        transaction.on_commit(lambda: storage.delete(name))
        fields["media"] = ""
    if workspace.zero_retention_mode and job.result_payload is not None:
        fields["result_payload"] = None
    return fields


# -- sweeper and webhooks -------------------------------------------------------------------


def jobs_due(*, now=None) -> QuerySet[Job]:
    """Vendor jobs the sweeper should look at: unfinished, with ``next_check_at`` unset (due
    now: these first, on every database) or passed (oldest first), at most ``SWEEP_BATCH``."""
    now = now or timezone.now()
    return (
        Job.objects.filter(kind__in=[JobKind.PROCESS, JobKind.APPEND], state__in=ACTIVE)
        .filter(Q(next_check_at__isnull=True) | Q(next_check_at__lte=now))
        .order_by(F("next_check_at").asc(nulls_first=True), "pk")[:SWEEP_BATCH]
    )


def jobs_sweep(*, now=None) -> int:
    """Enqueue the next step of every due job (queued → submit, submitted/processing → poll,
    importing → import) and return how many were enqueued. A duplicate is harmless: each
    step claims its job first.

    Writes no row and is not a transaction, on purpose: each task is enqueued at once, so
    a sweep interrupted half-way leaves the tasks already enqueued, and the next sweep (a
    minute later) enqueues the others."""
    due = list(jobs_due(now=now).values_list("pk", "state"))
    for pk, state in due:
        enqueue(TASK_FOR_STATE[state], pk)
    return len(due)


class WebhookConflict(Exception):
    """A webhook brought a result for a job that already holds a different one."""


def _without(payload: dict, keys: tuple[str, ...]) -> dict:
    return {key: value for key, value in payload.items() if key not in keys}


@transaction.atomic
def job_webhook(*, job_id: int, payload: dict | None = None, ignore: tuple[str, ...] = ()) -> bool:
    """A vendor called back for ``job_id``: keep ``payload`` when the result only travels in
    the webhook body (DeepAffects, ElevenLabs STT without a transcription id), make a
    polling job due now and enqueue the same poll the sweeper would. A queued job (submit in
    flight) only keeps the payload. Returns False (nothing done) for a finished job, or when
    the job already holds this same ``payload`` (a vendor's retry: idempotent).

    The first result accepted for a job is the one imported: a ``payload`` that differs from
    the one already kept raises :class:`WebhookConflict` and nothing is written, whatever the
    job's state (the job row is locked before it is read). Top-level keys named in
    ``ignore`` are left out of that comparison (DeepAffects: ``request_id``, which differs
    between the requests of one resubmitted job whose results are the same).
    """
    job = Job.objects.select_for_update().get(pk=job_id)
    if payload is not None and isinstance(job.result_payload, dict):
        if _without(job.result_payload, ignore) != _without(payload, ignore):
            raise WebhookConflict(f"job {job.pk} already holds a different result")
        return False
    if job.state in FINISHED or job.state == JobState.IMPORTING:
        return False
    fields: dict = {}
    if payload is not None:
        fields["result_payload"] = payload
    if job.state in POLLING:
        fields["next_check_at"] = timezone.now()
        enqueue("poll_job", job.pk)
    if fields:
        Job.objects.filter(pk=job.pk).update(**fields)
    return True
