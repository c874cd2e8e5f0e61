"""django-q2 tasks of the vendor sync: each takes primary keys and calls one service.

They are enqueued by :func:`diarization_portal.sync.services.enqueue` (``async_task`` inside
``transaction.on_commit``) and by the ``sweep_due_jobs`` schedule, which the data migration
``sync/0002_sweep_schedule`` creates to run every minute. Each returns a short text that
django-q2 stores as the task result (the job state, or what the sweeper enqueued).
An unexpected exception is left to django-q2 (the task shows as failed); the job keeps its
lease and the sweeper takes it up again when the lease runs out.
"""

from __future__ import annotations

from . import services


def _state(job) -> str:
    return job.state if job is not None else "skipped (not due or already taken)"


def submit_job(job_id: int) -> str:
    """Submit a queued vendor job (:func:`services.job_submit`)."""
    return _state(services.job_submit(job_id=job_id))


def poll_job(job_id: int) -> str:
    """Poll a submitted vendor job (:func:`services.job_poll`)."""
    return _state(services.job_poll(job_id=job_id))


def import_job(job_id: int) -> str:
    """Import a finished vendor result (:func:`services.job_import`)."""
    return _state(services.job_import(job_id=job_id))


def push_member(member_id: int) -> str:
    """Push a renamed or merged member to its vendor (:func:`services.member_push`)."""
    return services.member_push(member_id=member_id).sync_state


def sweep_due_jobs() -> str:
    """Enqueue the next step of every due vendor job (:func:`services.jobs_sweep`); runs
    every minute from the django-q2 schedule."""
    return f"{services.jobs_sweep()} jobs enqueued"
