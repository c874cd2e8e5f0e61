"""Vendor sync services (DESIGN §4): create, submit, poll, import, fail, retry, webhook, push;
and provider accounts (:mod:`.accounts`: add, change, delete).

Job states: ``queued → submitted → processing → importing → done``, or ``failed`` / ``rejected``.

Vendor calls never run inside a database transaction (an upload can take minutes and SQLite
would hold its write lock all along). A service first **claims** the job with one conditional
UPDATE (expected state and ``next_check_at`` due; sets ``next_check_at = now + lease``), calls
the vendor, then writes the outcome atomically. The lease keeps a duplicate task or the sweeper
off the job; when a worker dies the lease runs out and the sweeper tries again. Tasks
(:mod:`diarization_portal.sync.tasks`) are enqueued with ``transaction.on_commit`` and take
primary keys.

A vendor failure only ever changes the job row (or a member's ``sync_state``/``sync_error``):
never conversation data or what people edited.
"""

from ._queue import TASKS, enqueue
from .accounts import AccountInvalid, account_create, account_delete, account_update
from .jobs import (
    MAX_ATTEMPTS,
    JobInputError,
    RetryRefused,
    backoff,
    job_create,
    job_fail,
    job_poll,
    job_submit,
)
from .members import member_push, member_push_retry, members_changed
from .results import WebhookConflict, job_import, job_webhook, jobs_due, jobs_sweep, result_key
from .retry import job_retry

__all__ = [
    "MAX_ATTEMPTS",
    "TASKS",
    "AccountInvalid",
    "JobInputError",
    "RetryRefused",
    "WebhookConflict",
    "account_create",
    "account_delete",
    "account_update",
    "backoff",
    "enqueue",
    "job_create",
    "job_fail",
    "job_import",
    "job_poll",
    "job_retry",
    "job_submit",
    "job_webhook",
    "jobs_due",
    "jobs_sweep",
    "member_push",
    "member_push_retry",
    "members_changed",
    "result_key",
]
