"""Retrying a failed or rejected vendor job by hand (the dashboard's and the API's Retry):
where the job resumes and what it clears (DESIGN §4)."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from diarization_portal.conversations.models import (
    Conversation,
    Job,
    JobKind,
    JobState,
    new_webhook_token,
)

from ._queue import enqueue
from .jobs import TASK_FOR_STATE, RetryRefused

logger = logging.getLogger(__name__)

#: Error types met while fetching or importing a finished result: a retry imports again.
IMPORT_ERROR_TYPES = frozenset({"import", "parse_error", "not_ready"})
#: Error types meaning the vendor's own job is over (it failed, refused the input, was lost
#: or never finished): only a new submit can help.
VENDOR_ENDED_TYPES = frozenset({"vendor_failed", "rejected", "too_old", "resubmits"})


def _retry_state(job: Job) -> str:
    if job.submitted_at is None or job.error_type in VENDOR_ENDED_TYPES:
        return JobState.QUEUED
    if job.error_type in IMPORT_ERROR_TYPES:
        return JobState.IMPORTING
    return JobState.SUBMITTED


@transaction.atomic
def job_retry(*, job_id: int) -> Job:
    """Start a ``failed`` or ``rejected`` vendor job again, by hand (the dashboard's Retry).

    Where it resumes:

    * never accepted by the vendor (no ``submitted_at``: the submit itself failed), or the
      vendor's own job ended (``error_type`` in :data:`VENDOR_ENDED_TYPES`: it failed,
      rejected the recording, was lost after resubmits or ran past the ``max_age`` timing) →
      ``queued``, a fresh submit of the same input: vendor ids, ``submitted_at`` and any
      webhook result are cleared and the job gets a new ``webhook_token``, so callbacks of
      the old vendor job no longer match and DeepAffects gets new request ids (nothing was
      imported under the old token: an import is all or nothing). A ``process`` job that is
      its conversation's only vendor job also clears the conversation's ``external_id`` when
      it came from this job, so the new vendor conversation id is recorded on submit;
    * accepted, and it failed fetching or importing the result (``error_type`` in
      :data:`IMPORT_ERROR_TYPES`) → ``importing``;
    * accepted, and it failed otherwise (polling errors, retries exhausted, an account
      fixed since) → ``submitted``: the next poll asks the vendor again and moves on to
      ``importing`` if the result is ready, so a poll or an import failure both resume.

    ``attempts`` restarts at 0, ``error_type``/``error_message``/``finished_at`` are cleared,
    the job is due now, and its step (submit, poll or import task) is enqueued after commit.
    Raises :class:`RetryRefused` for a job that is active or done, a file import or push,
    a job whose provider account was deleted, or an account missing a required secret.
    """
    job = Job.objects.select_for_update(of=("self",)).select_related("account").get(pk=job_id)
    if job.kind not in (JobKind.PROCESS, JobKind.APPEND):
        raise RetryRefused(f"a {job.get_kind_display().lower()} job is not retried")
    if job.state not in (JobState.FAILED, JobState.REJECTED):
        raise RetryRefused(f"only failed or rejected jobs can be retried; this one is {job.state}")
    if job.account is None:
        raise RetryRefused("the provider account of this job was deleted")
    missing = job.account.missing_secrets()
    if missing:
        raise RetryRefused(f"{job.account} is missing {', '.join(missing)}; set it first")
    state = _retry_state(job)
    fields: dict = {
        "state": state,
        "attempts": 0,
        "error_type": "",
        "error_message": "",
        "finished_at": None,
        "next_check_at": timezone.now(),
    }
    if state == JobState.QUEUED:
        fields.update(
            vendor_job_id="",
            vendor_conversation_id="",
            result_payload=None,
            submitted_at=None,
            webhook_token=new_webhook_token(),
        )
        others = Job.objects.filter(
            conversation_id=job.conversation_id, kind__in=[JobKind.PROCESS, JobKind.APPEND]
        ).exclude(pk=job.pk)
        ids = {job.vendor_conversation_id, job.vendor_job_id} - {""}
        if job.kind == JobKind.PROCESS and ids and not others.exists():
            Conversation.objects.filter(pk=job.conversation_id, external_id__in=ids).update(
                external_id=""
            )
    Job.objects.filter(pk=job.pk).update(**fields)
    enqueue(TASK_FOR_STATE[state], job.pk)
    logger.info("sync job %s retried from %s (%s): %s", job.pk, job.state, job.error_type, state)
    return Job.objects.get(pk=job.pk)
