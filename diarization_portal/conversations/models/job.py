"""Jobs: file imports, recordings sent to vendors and member pushes (DESIGN §4)."""

from __future__ import annotations

import secrets

from django.db import models

from .conversation import Conversation


class JobKind(models.TextChoices):
    IMPORT = "import", "File import"
    PROCESS = "process", "Process recording"
    APPEND = "append", "Append recording"
    PUSH = "push", "Push members"


class JobState(models.TextChoices):
    """DESIGN §4: queued → submitted → processing → importing → done | failed | rejected."""

    QUEUED = "queued", "Queued"
    SUBMITTED = "submitted", "Submitted"
    PROCESSING = "processing", "Processing"
    IMPORTING = "importing", "Importing"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    REJECTED = "rejected", "Rejected"


def new_webhook_token() -> str:
    """An unguessable per-job token for webhook URLs (256 bits, URL-safe, 43 characters)."""
    return secrets.token_urlsafe(32)


class Job(models.Model):
    """One unit of work on a conversation: a file import, a vendor submit/append, a push.

    For imports, ``source_sha256`` identifies the file so that importing the same bytes into
    the same conversation again reuses this job and changes nothing.

    Vendor jobs (``account`` set, see :mod:`diarization_portal.sync`) send ``source_url`` or
    ``media`` with ``speaker_count``/``language`` and vendor ``options`` (shapes in
    :mod:`diarization_portal.sync.vendors`); they keep the vendor's ``vendor_job_id`` and
    ``vendor_conversation_id``, and ``result_payload`` when the result only arrives in a
    webhook body (DeepAffects). ``webhook_token`` authenticates the job's webhook URLs.
    ``next_check_at`` is when the sweeper should next look at the job (also a lease while a
    worker submits, polls or imports it).
    """

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="jobs")
    kind = models.CharField(max_length=16, choices=JobKind.choices)
    state = models.CharField(max_length=16, choices=JobState.choices, default=JobState.QUEUED)
    account = models.ForeignKey(
        "sync.ProviderAccount",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="jobs",
    )
    webhook_token = models.CharField(
        max_length=64, unique=True, default=new_webhook_token, editable=False
    )
    source_url = models.URLField(max_length=2000, blank=True)
    media = models.FileField(upload_to="jobs/%Y/%m/", blank=True)
    speaker_count = models.PositiveSmallIntegerField(null=True, blank=True)
    language = models.CharField(max_length=16, blank=True)
    options = models.JSONField(default=dict, blank=True)
    vendor_job_id = models.CharField(max_length=200, blank=True)
    vendor_conversation_id = models.CharField(max_length=200, blank=True)
    result_payload = models.JSONField(null=True, blank=True, editable=False)
    submitted_at = models.DateTimeField(null=True, blank=True)
    source_name = models.CharField(max_length=255, blank=True)
    source_sha256 = models.CharField(max_length=64, blank=True)
    time_offset = models.FloatField(
        default=0.0, help_text="Seconds added to this recording's times (appended recordings)."
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_check_at = models.DateTimeField(null=True, blank=True)
    error_type = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["conversation", "source_sha256"]),
            models.Index(fields=["state", "next_check_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.state})"
