"""django-q2 tasks of the conversations app.

``enforce_retention`` runs every hour from the schedule the data migration
``conversations/0005_retention_schedule`` creates.
"""

from __future__ import annotations

import logging

from .services.retention import retention_enforce_all

logger = logging.getLogger(__name__)


def enforce_retention() -> str:
    """Apply every workspace's retention policy
    (:func:`~diarization_portal.conversations.services.retention.retention_enforce_all`);
    returns one summary line per workspace, which django-q2 stores as the task result. The
    reports themselves are kept as ``RetentionRun`` rows."""
    reports = retention_enforce_all()
    lines = [report.summary() for report in reports if report.run_id is not None]
    return "\n".join(lines) or "retention: nothing due"
