"""Transcript files too large to parse within a web request: imported by a background task.

:func:`file_import_queue` stores the uploaded file on an import :class:`Job` (``Job.media``,
state ``queued``) of the conversation it goes into (a new conversation is created at once,
titled after the file), and enqueues :func:`diarization_portal.conversations.tasks.import_file`
after commit. The task runs :func:`file_import_run`: ``queued → importing → done``, or
``rejected`` with the parse error (naming the line or JSON path) in ``error_message``, or
``failed`` on an unexpected error; the stored file is deleted once the job has finished. The
user watches the job in the conversation's job panel (``GET /api/v1/jobs/{id}`` over the API).
"""

from __future__ import annotations

import hashlib
import logging
from functools import partial
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django_q.tasks import async_task

from providers.formats import parse as parse_file
from providers.types import ParseError, Transcript

from ..models import Conversation, Job, JobKind, JobState, Message, Vendor
from .import_checks import ImportRejected, parse_time
from .imports import transcript_import

logger = logging.getLogger(__name__)
TASK = "diarization_portal.conversations.tasks.import_file"


def upload_sha256(upload: File) -> str:
    """Hex SHA-256 of ``upload``'s bytes, read in chunks (the file is not held in memory)."""
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


@transaction.atomic
def file_import_queue(
    *,
    workspace,
    upload: File,
    source_name: str,
    format: str = "auto",
    title: str | None = None,
    into: Conversation | None = None,
) -> Job:
    """Store ``upload`` (a transcript file) on a new ``queued`` import job and enqueue its
    import after commit; return the job. Without ``into`` a conversation of ``workspace`` is
    created for it now (title: ``title``, else the file name's stem; the file's own title,
    language and start time are filled in by the import). ``format``: ``"auto"`` or one of
    :data:`providers.formats.ALL_FORMATS`. Raises :class:`ImportRejected` when ``into``
    belongs to another workspace. The file is not read beyond its hash here."""
    if into is not None and into.workspace_id != workspace.pk:
        raise ImportRejected("that conversation belongs to another workspace")
    conversation = into or Conversation.objects.create(
        workspace=workspace,
        title=(title or Path(source_name).stem or "Untitled")[:200],
        vendor=Vendor.FILE,
    )
    job = Job(
        conversation=conversation,
        kind=JobKind.IMPORT,
        state=JobState.QUEUED,
        source_name=source_name[:255],
        source_sha256=upload_sha256(upload),
        options={"format": format, "new_conversation": into is None, "title": title or ""},
    )
    job.media.save(Path(source_name).name[-100:] or "upload", upload, save=False)
    try:
        job.save()
    except BaseException:  # the transaction rolls back: the stored file must not stay behind
        job.media.storage.delete(job.media.name)
        raise
    transaction.on_commit(partial(async_task, TASK, job.pk))
    return job


def _claim(job_id: int) -> Job | None:
    """Take ``job_id`` for this worker: a queued import job, or one whose worker's lease
    (``Q_TIMEOUT`` seconds) ran out. One conditional UPDATE; None when not to be run."""
    now = timezone.now()
    lease = now + timezone.timedelta(seconds=settings.Q_CLUSTER["timeout"])
    taken = (
        Job.objects.filter(pk=job_id, kind=JobKind.IMPORT)
        .filter(Q(state=JobState.QUEUED) | Q(state=JobState.IMPORTING, next_check_at__lte=now))
        .update(state=JobState.IMPORTING, next_check_at=lease, updated_at=now)
    )
    return Job.objects.select_related("conversation__workspace").get(pk=job_id) if taken else None


def _finish(job: Job, state: str, *, error_type: str = "", error_message: str = "") -> Job:
    """Record the end of ``job`` and delete its stored file once that is committed."""
    Job.objects.filter(pk=job.pk).update(
        state=state,
        finished_at=timezone.now(),
        next_check_at=None,
        error_type=error_type,
        error_message=error_message,
        media="",
    )
    if job.media:
        storage, name = job.media.storage, job.media.name
        transaction.on_commit(partial(storage.delete, name), robust=True)
    return Job.objects.get(pk=job.pk)


@transaction.atomic
def _store(job_id: int, transcript: Transcript) -> Job:
    """Import ``transcript`` as the result of ``job_id``, fill in a new conversation's fields
    from it and mark the job done, in one transaction; the job, then its conversation, are
    locked before anything is read."""
    job = Job.objects.select_for_update(of=("self",)).get(pk=job_id)
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("workspace")
        .get(pk=job.conversation_id)
    )
    new = bool(job.options.get("new_conversation"))
    if not new and not job.messages.exists():
        # An appended recording starts where the conversation so far ends.
        end = Message.objects.filter(conversation=conversation).aggregate(e=Max("end"))["e"]
        job.time_offset = end or 0.0
        Job.objects.filter(pk=job.pk).update(time_offset=job.time_offset)
    transcript_import(
        workspace=conversation.workspace,
        transcript=transcript,
        source_name=job.source_name,
        sha256=job.source_sha256,
        into=conversation,
        job=job,
    )
    if new:
        fields = {
            "source_format": transcript.source[:16],
            "language": (transcript.language or "")[:16],
            "started_at": parse_time(transcript.started_at, "started_at"),
            "speaker_count_hint": min(len(transcript.speakers), 32767) or None,
        }
        if not job.options.get("title") and transcript.title:
            fields["title"] = transcript.title[:200]
        Conversation.objects.filter(pk=conversation.pk).update(**fields)
    return _finish(job, JobState.DONE)


def file_import_run(*, job_id: int) -> Job | None:
    """Parse the file stored on import job ``job_id`` and import it (:func:`_store`, one
    transaction). Returns the finished job, or None when the job is not to be run (finished,
    or being run by another worker). A file that cannot be read or imported rejects the job
    with the error naming the line or field (``error_type`` ``parse_error`` or
    ``import_rejected``); nothing is written then. The stored file is deleted when the job
    finishes. Other exceptions propagate (the task records them, :func:`file_import_fail`).

    Not one transaction, on purpose: parsing a large file takes long and holds no lock; the
    claim commits first, then the whole import and the move to ``done`` are one transaction.
    """
    job = _claim(job_id)
    if job is None:
        return None
    try:
        with job.media.open("rb") as stored:
            data = stored.read()
        transcript = parse_file(
            data, format=job.options.get("format", "auto"), filename=job.source_name
        )
        del data
        if not transcript.utterances and not transcript.speakers:
            raise ParseError("no speakers or utterances found", source=job.source_name)
        return _store(job.pk, transcript)
    except ParseError as err:
        return _finish(job, JobState.REJECTED, error_type="parse_error", error_message=str(err))
    except ImportRejected as err:
        message = f"{job.source_name}: {err}"
        return _finish(job, JobState.REJECTED, error_type="import_rejected", error_message=message)


def file_import_fail(*, job_id: int, error: Exception) -> None:
    """Mark import job ``job_id`` failed after an unexpected ``error`` (``error_type``
    ``internal``) and delete its stored file; nothing of the file was imported."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.state in (JobState.DONE, JobState.REJECTED):
        return
    message = f"internal error: {type(error).__name__}: {error}"
    with transaction.atomic():
        _finish(job, JobState.FAILED, error_type="internal", error_message=message[:2000])
