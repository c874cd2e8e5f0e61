"""Jobs (file imports, vendor submits and appends, member pushes) and Symbl's job status
(``GET /v1/job/{jobId}``, vendor-apis.md §1.3)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from diarization_portal.conversations.models import Job, JobKind, JobState, Vendor

from .common import iso, seconds

#: Symbl's job states for ours (vendor-apis.md §1.3: scheduled, in_progress, completed, failed).
SYMBL_STATUS = {
    JobState.QUEUED: "scheduled",
    JobState.SUBMITTED: "in_progress",
    JobState.PROCESSING: "in_progress",
    JobState.IMPORTING: "in_progress",
    JobState.DONE: "completed",
    JobState.FAILED: "failed",
    JobState.REJECTED: "failed",
}

_NULLABLE_TIME = {"type": "string", "format": "date-time", "nullable": True}


def job_vendor(job: Job) -> str:
    """Who does the job's work: the account's vendor, ``file`` for file imports, else the
    conversation's vendor (the account was deleted)."""
    if job.account_id is not None:
        return job.account.vendor
    if job.kind == JobKind.IMPORT:
        return Vendor.FILE
    return job.conversation.vendor


class JobSerializer(serializers.Serializer):
    """A job of a conversation: a file import, a recording sent to a vendor (``process``,
    ``append``) or a push of member names to the vendor.

    States (DESIGN §4): ``queued → submitted → processing → importing → done``, or ``failed``
    (retries exhausted) or ``rejected`` (bad input, not retried), with ``errorType`` and
    ``errorMessage`` in the vendor's words. ``attempts`` counts retryable failures so far."""

    # Reads ``account`` and ``conversation`` (select_related, or the known conversation).

    id = serializers.CharField(source="pk", help_text="The job's id (decimal string).")
    conversationId = serializers.CharField(source="conversation_id")
    kind = serializers.ChoiceField(choices=JobKind.values)
    state = serializers.ChoiceField(choices=JobState.values)
    vendor = serializers.SerializerMethodField(help_text="file, symbl, elevenlabs, phonexia…")
    accountId = serializers.SerializerMethodField(
        help_text="The provider account (decimal string), or null (file imports, deleted accounts)."
    )
    sourceName = serializers.CharField(
        source="source_name", help_text="The file name, or the last part of the URL."
    )
    speakerCount = serializers.IntegerField(
        source="speaker_count", allow_null=True, help_text="The speaker count asked for."
    )
    language = serializers.CharField()
    vendorJobId = serializers.CharField(source="vendor_job_id", help_text="Or empty.")
    vendorConversationId = serializers.CharField(
        source="vendor_conversation_id", help_text="Or empty."
    )
    timeOffset = serializers.SerializerMethodField(
        help_text="Seconds added to this recording's times (appended recordings)."
    )
    attempts = serializers.IntegerField()
    errorType = serializers.CharField(source="error_type", help_text="Or empty.")
    errorMessage = serializers.CharField(source="error_message", help_text="Or empty.")
    createdAt = serializers.SerializerMethodField()
    updatedAt = serializers.SerializerMethodField()
    submittedAt = serializers.SerializerMethodField(help_text="When the vendor took it, or null.")
    nextCheckAt = serializers.SerializerMethodField(
        help_text="When the portal next looks at it, or null."
    )
    finishedAt = serializers.SerializerMethodField(help_text="Or null while active.")

    @extend_schema_field({"type": "string", "enum": Vendor.values})
    def get_vendor(self, job: Job) -> str:
        return job_vendor(job)

    @extend_schema_field({"type": "string", "nullable": True})
    def get_accountId(self, job: Job) -> str | None:
        return None if job.account_id is None else str(job.account_id)

    def get_timeOffset(self, job: Job) -> float:
        return seconds(job.time_offset)

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_createdAt(self, job: Job) -> str:
        return iso(job.created_at)

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_updatedAt(self, job: Job) -> str:
        return iso(job.updated_at)

    @extend_schema_field(_NULLABLE_TIME)
    def get_submittedAt(self, job: Job) -> str | None:
        return iso(job.submitted_at)

    @extend_schema_field(_NULLABLE_TIME)
    def get_nextCheckAt(self, job: Job) -> str | None:
        return iso(job.next_check_at)

    @extend_schema_field(_NULLABLE_TIME)
    def get_finishedAt(self, job: Job) -> str | None:
        return iso(job.finished_at)


class SymblJobSerializer(serializers.Serializer):
    """Symbl's job status: ``{"id", "status"}`` with ``status`` one of ``scheduled``,
    ``in_progress``, ``completed``, ``failed`` (vendor-apis.md §1.3)."""

    id = serializers.CharField(source="pk", help_text="The job id the submit returned.")
    status = serializers.SerializerMethodField()

    @extend_schema_field({"type": "string", "enum": sorted(set(SYMBL_STATUS.values()))})
    def get_status(self, job: Job) -> str:
        return SYMBL_STATUS[job.state]
