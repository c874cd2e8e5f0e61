"""Template filters for vendor sync states (jobs and member pushes)."""

from __future__ import annotations

from django import template

from diarization_portal.conversations.models import JobKind, JobState, SyncState

register = template.Library()


@register.filter
def job_state_label(state: str | None) -> str:
    """The display label of a job state value (``"processing"`` → ``"Processing"``)."""
    return JobState(state).label if state in JobState.values else ""


@register.filter
def job_kind_label(kind: str | None) -> str:
    """The display label of a job kind value (``"append"`` → ``"Append recording"``)."""
    return JobKind(kind).label if kind in JobKind.values else ""


@register.filter
def any_pending(members) -> bool:
    """True when one of ``members`` has a push to its vendor pending."""
    return any(m.sync_state == SyncState.PENDING for m in members)
