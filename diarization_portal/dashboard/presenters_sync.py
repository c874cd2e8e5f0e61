"""What the conversation page shows of the vendor sync: jobs and members' push states.

Each helper runs a fixed number of queries, whatever the number of jobs or members.
"""

from __future__ import annotations

from django.utils import timezone

from diarization_portal.conversations.models import (
    Conversation,
    Job,
    JobKind,
    JobState,
    Member,
    SyncState,
    Vendor,
)
from diarization_portal.sync.services.jobs import ACTIVE

#: Seconds between two refreshes of a panel while something is in flight.
POLL_SECONDS = 2
RETRYABLE = (JobState.FAILED, JobState.REJECTED)
VENDOR_KINDS = (JobKind.PROCESS, JobKind.APPEND)


def job_rows(conversation: Conversation) -> list[Job]:
    """The conversation's jobs, newest first, each with ``is_active`` (queued, submitted,
    processing or importing), ``can_retry`` (a failed or rejected vendor job) and
    ``next_check_in`` (whole seconds until the next vendor check of an active job, 0 when
    due, else None) set. One query (accounts joined)."""
    now = timezone.now()
    jobs = list(conversation.jobs.select_related("account").order_by("-created_at", "-pk"))
    for job in jobs:
        job.is_active = job.state in ACTIVE
        job.can_retry = (
            job.kind in VENDOR_KINDS and job.account_id is not None and job.state in RETRYABLE
        )
        job.next_check_in = None
        if job.is_active and job.next_check_at is not None:
            job.next_check_in = max(0, round((job.next_check_at - now).total_seconds()))
    return jobs


def merged_unsynced(conversation: Conversation) -> list[Member]:
    """Merged members whose push to the vendor is pending or failed, with ``merged_into``
    loaded (they are not in the speakers table, which lists live members only). One query;
    none for a file conversation, whose members are never pushed."""
    if conversation.vendor == Vendor.FILE:
        return []
    return list(
        Member.objects.filter(
            conversation=conversation,
            merged_into__isnull=False,
            sync_state__in=[SyncState.PENDING, SyncState.FAILED],
        )
        .select_related("merged_into")
        .order_by("position", "pk")
    )


def jobs_context(conversation: Conversation) -> dict:
    """Context of the job panel: ``jobs`` (:func:`job_rows`) and ``active_job_ids``
    (``"3,7"``: the ids of the active jobs, which the polling panel sends back to learn
    which of them finished). One query."""
    jobs = job_rows(conversation)
    return {
        "jobs": jobs,
        "active_job_ids": ",".join(str(j.pk) for j in jobs if j.is_active),
        "poll_seconds": POLL_SECONDS,
    }


def sync_context(conversation: Conversation) -> dict:
    """What the conversation page adds for the sync: :func:`jobs_context` and
    ``merged_unsynced`` (:func:`merged_unsynced`). Two queries."""
    return {**jobs_context(conversation), "merged_unsynced": merged_unsynced(conversation)}
