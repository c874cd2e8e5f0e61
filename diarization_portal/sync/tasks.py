"""django-q2 tasks of the vendor sync: each takes primary keys and calls one service.

They are enqueued by :func:`diarization_portal.sync.services.enqueue` (``async_task`` inside
``transaction.on_commit``) and by the ``sweep_due_jobs`` schedule, which the data migration
``sync/0002_sweep_schedule`` creates to run every minute. Each returns a short text that
django-q2 stores as the task result (the job state, or what the sweeper enqueued).
An unexpected exception inside a job step (a bug, a database error) counts as a retryable
failure of the job (``error_type="internal"``, :func:`services.job_fail`): the job is tried again
after the usual backoff and fails after ``MAX_ATTEMPTS`` like any other failure, instead of being
retried for ever. The exception is then re-raised so that django-q2 shows the task as failed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from diarization_portal.conversations.models import Job
from providers.types import ProviderError

from . import services
from .services import engines

logger = logging.getLogger(__name__)


def _state(job) -> str:
    return job.state if job is not None else "skipped (not due or already taken)"


def _run_step(step: Callable, job_id: int) -> str:
    """Run one job step; an unexpected exception is recorded on the job, then re-raised."""
    try:
        return _state(step(job_id=job_id))
    except Exception as err:
        logger.exception("sync job %s: unexpected error in %s", job_id, step.__name__)
        error = ProviderError(
            f"internal error in {step.__name__}: {type(err).__name__}: {err}",
            retryable=True,
            error_type="internal",
        )
        try:
            services.job_fail(job=Job(pk=job_id), error=error)
        except Exception:  # the database itself may be what failed: the lease still expires
            logger.exception("sync job %s: could not record the failure", job_id)
        raise


def submit_job(job_id: int) -> str:
    """Submit a queued vendor job (:func:`services.job_submit`)."""
    return _run_step(services.job_submit, job_id)


def poll_job(job_id: int) -> str:
    """Poll a submitted vendor job (:func:`services.job_poll`)."""
    return _run_step(services.job_poll, job_id)


def import_job(job_id: int) -> str:
    """Import a finished vendor result (:func:`services.job_import`)."""
    return _run_step(services.job_import, job_id)


def push_member(member_id: int) -> str:
    """Push a renamed or merged member to its vendor (:func:`services.member_push`)."""
    return services.member_push(member_id=member_id).sync_state


def sweep_due_jobs() -> str:
    """Enqueue the next step of every due vendor job (:func:`services.jobs_sweep`); runs
    every minute from the django-q2 schedule."""
    return f"{services.jobs_sweep()} jobs enqueued"


def refresh_speech_engine(link_id: int) -> str:
    """Read a linked ElevenLabs Speech Engine (:func:`engines.speech_engine_refresh`)."""
    link = engines.speech_engine_refresh(link_id=link_id)
    return "unlinked" if link is None else f"{link.state} {link.error_type}".strip()


def refresh_speech_engines() -> str:
    """Enqueue a refresh of every linked Speech Engine; runs every hour from the schedule
    ``sync/0005_speech_engine_schedule``."""
    return f"{engines.speech_engines_refresh_all()} speech engines enqueued"
