"""Template filters for vendor sync states (jobs and member pushes)."""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

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


@register.filter
def ago(moment) -> str:
    """``"just now"`` under a minute, else ``"3 minutes ago"`` (Django's ``timesince``)."""
    if moment is None:
        return ""
    if (timezone.now() - moment).total_seconds() < 60:
        return "just now"
    return f"{timesince(moment)} ago"
