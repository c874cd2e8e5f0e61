"""Vendor jobs: create, submit, poll, and the failure rules (DESIGN §4).

See the package docstring for claims and leases. Backoff, poll intervals, leases and the give-up
age are read from :mod:`diarization_portal.sync.timing` (production defaults: backoff 5 s
doubling to 60 s, polls every 5-30 s, leases of 120-600 s, give up after 12 h), which
``settings.SYNC_TIMING`` overrides by name.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from diarization_portal.conversations.models import (
    Conversation,
    Job,
    JobKind,
    JobState,
)
from providers.jobs import DONE, FAILED, REJECTED, JobStatus
from providers.types import ProviderError

from .. import timing, vendors
from ..adapters import JobInputError, VendorAdapter, adapter_for, adapters
from ..clients import client_for
from ..models import ProviderAccount
from ._queue import enqueue

logger = logging.getLogger(__name__)
#: Retryable failures allowed per job (and resubmits); the last one fails the job.
MAX_ATTEMPTS = 8
SWEEP_BATCH = 500
#: HTTP statuses meaning "your input is bad": the job is ``rejected`` (not retried).
BAD_INPUT_STATUSES = frozenset({400, 413, 415, 422})
REJECT_TYPES = frozenset({"rejected", "invalid_input"})
ACTIVE = (JobState.QUEUED, JobState.SUBMITTED, JobState.PROCESSING, JobState.IMPORTING)
POLLING = (JobState.SUBMITTED, JobState.PROCESSING)
FINISHED = (JobState.DONE, JobState.FAILED, JobState.REJECTED)
TASK_FOR_STATE = {
    JobState.QUEUED: "submit_job",
    JobState.SUBMITTED: "poll_job",
    JobState.PROCESSING: "poll_job",
    JobState.IMPORTING: "import_job",
}


class RetryRefused(ValueError):
    """A job or a member push cannot be retried now; ``str(err)`` says why."""


def backoff(attempt: int) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based): ``backoff_min``
    doubling up to ``backoff_max`` (by default 5, 10, 20, 40, then 60 s)."""
    low, high = timing.seconds("backoff_min"), timing.seconds("backoff_max")
    return min(high, low * 2 ** max(attempt - 1, 0))


# -- create ---------------------------------------------------------------------------------


@transaction.atomic
def job_create(
    *,
    account: ProviderAccount,
    kind: str = JobKind.PROCESS,
    conversation: Conversation | None = None,
    title: str = "",
    source_url: str = "",
    media: File | None = None,
    speaker_count: int | None = None,
    language: str = "",
    options: dict | None = None,
) -> Job:
    """Create a vendor job (``process``: in a new conversation named ``title``; ``append``:
    into ``conversation``) and enqueue its submit after commit.

    The recording is a public ``source_url`` or an uploaded ``media`` file (stored under
    ``MEDIA_ROOT/jobs/``; deleted again when the job cannot be saved). ``speaker_count``:
    exact or maximum number of speakers depending on the vendor; ``options``: see
    the vendor's adapter in :mod:`..adapters`. Raises :class:`JobInputError` (its ``field``
    names the input at fault).
    """
    options = dict(options or {})
    if kind not in (JobKind.PROCESS, JobKind.APPEND):
        raise JobInputError(f"a vendor job is a process or an append, not {kind!r}")
    if kind == JobKind.APPEND and conversation is None:
        raise JobInputError("an append needs the conversation to append to")
    if conversation is not None and conversation.workspace_id != account.workspace_id:
        raise JobInputError(
            "the account and the conversation belong to different workspaces", field="account"
        )
    if speaker_count is not None and speaker_count < 1:
        raise JobInputError("the speaker count must be at least 1", field="speaker_count")
    adapters.get(account.vendor, VendorAdapter()).check_input(source_url, media, options)
    source_name = (getattr(media, "name", "") or source_url.rsplit("/", 1)[-1])[:255]
    if conversation is None:
        conversation = Conversation.objects.create(
            workspace_id=account.workspace_id,
            title=(title or source_name or "Untitled")[:200],
            vendor=account.vendor,
            language=language[:16],
            speaker_count_hint=speaker_count,
        )
    job = Job(
        conversation=conversation,
        kind=kind,
        account=account,
        source_url=source_url,
        source_name=source_name,
        speaker_count=speaker_count,
        language=language[:16],
        options=options,
        next_check_at=timezone.now(),
    )
    if media is not None:
        job.media.save(source_name or "recording", media, save=False)
    try:
        job.save()
        enqueue("submit_job", job.pk)
    except BaseException:
        # The storage is not transactional: the upload goes with the rolled-back row.
        if media is not None:
            job.media.storage.delete(job.media.name)
        raise
    return job


# -- claim, fail, resubmit ------------------------------------------------------------------


def _claim(job_id: int, states: Iterable[str], step: str, **extra) -> Job | None:
    """Take the job for ``step`` when it is in ``states`` and due; ``None`` when another
    worker has it or it moved on. ``extra`` fields are written in the same UPDATE."""
    now = timezone.now()
    taken = (
        Job.objects.filter(pk=job_id, state__in=list(states))
        .filter(Q(next_check_at__isnull=True) | Q(next_check_at__lte=now))
        .update(next_check_at=now + timedelta(seconds=timing.seconds(f"lease_{step}")), **extra)
    )
    if not taken:
        return None
    return Job.objects.select_related("account", "conversation").get(pk=job_id)


def _client(job: Job):
    if job.account is None:
        raise ProviderError("the provider account of this job was deleted", error_type="no_account")
    return client_for(job.account)


def _as_error(err: Exception) -> ProviderError:
    if isinstance(err, ProviderError):
        return err
    return ProviderError(str(err), error_type="invalid_input")


def job_fail(*, job: Job, error: ProviderError) -> Job:
    """Record a failed vendor step of ``job`` and decide what follows (DESIGN §4).

    Retryable ``error`` (408, 429, 5xx, timeouts, connection errors): ``attempts + 1`` and
    ``next_check_at = now + max(retry_after, backoff(attempts))`` seconds (retry_after capped at
    ``retry_after_max``, 1 h by default) in the same state; the ``MAX_ATTEMPTS``-th failure
    ends in ``failed``. Terminal ``error``: ``rejected`` for bad input (HTTP 400/413/415/422,
    Phonexia ``rejected``, bad arguments), else ``failed``. ``error_type``/``error_message``
    keep the vendor's words.
    A job already finished is left alone. Returns the job as saved.
    """
    now = timezone.now()
    message = (error.message if hasattr(error, "message") else str(error))[:2000]
    with transaction.atomic():
        current = Job.objects.select_for_update().get(pk=job.pk)
        if current.state in FINISHED:
            return current
        fields = {"attempts": current.attempts, "error_type": error.error_type[:64]}
        if error.retryable:
            fields["attempts"] += 1
            if fields["attempts"] < MAX_ATTEMPTS:
                wait = max(
                    min(error.retry_after or 0.0, timing.seconds("retry_after_max")),
                    backoff(fields["attempts"]),
                )
                fields.update(error_message=message, next_check_at=now + timedelta(seconds=wait))
                Job.objects.filter(pk=current.pk).update(**fields)
                logger.info("sync job %s retry in %.0f s: %s", job.pk, wait, message)
                return Job.objects.get(pk=current.pk)
            message = f"gave up after {fields['attempts']} attempts: {message}"
            state = JobState.FAILED
        elif error.error_type in REJECT_TYPES or error.status in BAD_INPUT_STATUSES:
            state = JobState.REJECTED
        else:
            state = JobState.FAILED
        fields.update(state=state, error_message=message, finished_at=now, next_check_at=None)
        Job.objects.filter(pk=current.pk).update(**fields)
    # Provider messages are already redacted (providers.http): no secret reaches the log.
    logger.warning("sync job %s %s (%s): %s", job.pk, state, error.error_type, message)
    return Job.objects.get(pk=job.pk)


def _resubmit(job: Job, reason: str) -> Job:
    """Queue ``job`` for a fresh submit after a backoff (bounded by ``MAX_ATTEMPTS``)."""
    now = timezone.now()
    with transaction.atomic():
        current = Job.objects.select_for_update().get(pk=job.pk)
        if current.state in FINISHED:
            return current
        attempts = current.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            error = ProviderError(
                f"gave up after {attempts} submits: {reason}", error_type="resubmits"
            )
            return job_fail(job=current, error=error)
        Job.objects.filter(pk=current.pk).update(
            state=JobState.QUEUED,
            attempts=attempts,
            vendor_job_id="",
            result_payload=None,
            submitted_at=None,
            error_type="resubmit",
            error_message=reason[:2000],
            next_check_at=now + timedelta(seconds=backoff(attempts)),
        )
        return Job.objects.get(pk=current.pk)


# -- submit, poll, import -------------------------------------------------------------------


def job_submit(*, job_id: int) -> Job | None:
    """Submit a queued job to its vendor (Symbl submit/append, Phonexia start, DeepAffects
    diarize_async, ElevenLabs STT with ``webhook=true`` or PVC separation).

    DeepAffects' ``request_id`` (derived from ``webhook_token``) is saved **before** the POST;
    every vendor job id is saved in the same transaction as the move to ``submitted``.
    Failures go through :func:`job_fail`. Returns ``None`` when the job was not due/queued.

    Not one transaction, on purpose: no transaction stays open while the vendor is called.
    Each write phase is atomic on its own: the claim (one UPDATE), the DeepAffects
    ``request_id`` (one UPDATE), then the outcome (job and conversation, one transaction) or
    :func:`job_fail`'s. A failure between phases leaves the claim's lease, which runs out.
    """
    job = _claim(job_id, [JobState.QUEUED], "submit")
    if job is None:
        return None
    try:
        client = _client(job)
        early_id = adapter_for(job.account.vendor).before_submit(job)
        if early_id:
            job.vendor_job_id = early_id
            Job.objects.filter(pk=job.pk).update(vendor_job_id=job.vendor_job_id)
        submitted = vendors.submit(job, client)
    except (ProviderError, ValueError, TypeError) as err:
        return job_fail(job=job, error=_as_error(err))
    now = timezone.now()
    with transaction.atomic():
        moved = Job.objects.filter(pk=job.pk, state=JobState.QUEUED).update(
            state=JobState.SUBMITTED,
            vendor_job_id=submitted.vendor_job_id[:200],
            vendor_conversation_id=submitted.vendor_conversation_id[:200],
            submitted_at=now,
            next_check_at=now + timedelta(seconds=timing.seconds("poll_min")),
            error_type="",
            error_message="",
        )
        external = (submitted.vendor_conversation_id or submitted.vendor_job_id)[:200]
        if moved and external:
            Conversation.objects.filter(pk=job.conversation_id, external_id="").update(
                external_id=external
            )
    return Job.objects.get(pk=job.pk)


def _poll_delay(job: Job, now) -> float:
    age = (now - (job.submitted_at or job.created_at)).total_seconds()
    return min(timing.seconds("poll_max"), max(timing.seconds("poll_min"), age / 10))


def job_poll(*, job_id: int) -> Job | None:
    """Ask the vendor how a submitted job is doing and move it on (:class:`JobStatus`):
    submitted/processing stay polled (every 5-30 s); done → ``importing`` and
    ``import_job`` is enqueued; failed/rejected end it; Phonexia failures and silent
    DeepAffects jobs are resubmitted. Returns ``None`` when the job was not due/polling.

    Not one transaction, on purpose (the vendor is called in between): the claim commits
    first, then the outcome is one atomic write (the move to ``importing`` with its
    ``import_job`` enqueued after commit, a state and next poll in one UPDATE,
    :func:`job_fail` or :func:`_resubmit`).
    """
    job = _claim(job_id, POLLING, "poll")
    if job is None:
        return None
    try:
        state = vendors.status(job, _client(job))
    except vendors.Resubmit as reason:
        return _resubmit(job, str(reason))
    except (ProviderError, ValueError) as err:
        return job_fail(job=job, error=_as_error(err))
    return _apply(job, state)


def _apply(job: Job, status: JobStatus) -> Job:
    now = timezone.now()
    if status.state == DONE:
        with transaction.atomic():
            moved = Job.objects.filter(pk=job.pk, state__in=POLLING).update(
                state=JobState.IMPORTING, next_check_at=now, error_type="", error_message=""
            )
            if moved:
                enqueue("import_job", job.pk)
        return Job.objects.get(pk=job.pk)
    if status.state in (FAILED, REJECTED):
        kind = "rejected" if status.state == REJECTED else "vendor_failed"
        message = status.error or f"the vendor reports {status.vendor_state}"
        return job_fail(job=job, error=ProviderError(message, error_type=kind))
    max_age = timing.seconds("max_age")
    if job.submitted_at and (now - job.submitted_at).total_seconds() > max_age:
        hours = max_age / 3600
        error = ProviderError(f"no result {hours:g} h after submission", error_type="too_old")
        return job_fail(job=job, error=error)
    Job.objects.filter(pk=job.pk, state__in=POLLING).update(
        state=status.state, next_check_at=now + timedelta(seconds=_poll_delay(job, now))
    )
    return Job.objects.get(pk=job.pk)
