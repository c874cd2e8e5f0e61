"""django-q2 tasks of the conversations app: each takes primary keys (or nothing) and calls one
service.

``enforce_retention`` runs every hour from the schedule the data migration
``conversations/0005_retention_schedule`` creates; ``import_file`` imports a large uploaded
file stored on an import job.
"""

from __future__ import annotations

import logging

from .services import file_jobs
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


def import_file(job_id: int) -> str:
    """Import the transcript file stored on import job ``job_id``
    (:func:`file_jobs.file_import_run`) and return the job's state. An unexpected exception
    fails the job (:func:`file_jobs.file_import_fail`) and is re-raised, so that django-q2
    shows the task as failed."""
    try:
        job = file_jobs.file_import_run(job_id=job_id)
    except Exception as err:
        logger.exception("import job %s: unexpected error", job_id)
        try:
            file_jobs.file_import_fail(job_id=job_id, error=err)
        except Exception:  # the database itself may be what failed
            logger.exception("import job %s: could not record the failure", job_id)
        raise
    return job.state if job is not None else "skipped (finished or taken)"
