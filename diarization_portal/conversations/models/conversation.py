"""Conversations and where they came from (:class:`Vendor`)."""

from __future__ import annotations

from django.db import models
from django.db.models import Count, FloatField, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce

from diarization_portal.workspaces.models import Workspace


class Vendor(models.TextChoices):
    """Where a conversation came from."""

    FILE = "file", "File import"
    SYMBL = "symbl", "Symbl.ai"
    ELEVENLABS = "elevenlabs", "ElevenLabs"
    PHONEXIA = "phonexia", "Phonexia"
    DEEPAFFECTS = "deepaffects", "DeepAffects"


def _count_subquery(model: type[models.Model], **extra) -> Coalesce:
    """``COUNT(*)`` of ``model`` rows of the outer conversation, as a correlated subquery."""
    rows = (
        model.objects.filter(conversation=OuterRef("pk"), **extra)
        .order_by()
        .values("conversation")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=models.IntegerField()), 0)


class ConversationQuerySet(models.QuerySet):
    def for_user(self, user) -> ConversationQuerySet:
        """Conversations in the workspaces ``user`` belongs to."""
        return self.filter(workspace__memberships__user=user)

    def with_stats(self) -> ConversationQuerySet:
        """Annotate ``member_count`` (live members), ``message_count``, ``insight_count``,
        ``duration`` (seconds: the latest message end) and ``last_edit_at``.

        Each figure is a correlated subquery, so the query count stays one whatever the
        number of conversations and messages.
        """
        from .edit import SpeakerEdit
        from .member import Member
        from .message import Insight, Message

        last_end = (
            Message.objects.filter(conversation=OuterRef("pk"))
            .order_by()
            .values("conversation")
            .annotate(m=Max("end"))
            .values("m")
        )
        last_edit = (
            SpeakerEdit.objects.filter(conversation=OuterRef("pk"))
            .order_by("-created_at")
            .values("created_at")[:1]
        )
        return self.annotate(
            member_count=_count_subquery(Member, merged_into__isnull=True),
            message_count=_count_subquery(Message),
            insight_count=_count_subquery(Insight),
            duration=Coalesce(Subquery(last_end, output_field=FloatField()), 0.0),
            last_edit_at=Subquery(last_edit),
        )

    def with_latest_job(self) -> ConversationQuerySet:
        """Annotate ``latest_job_state``, ``latest_job_kind`` and ``latest_job_error`` (its
        ``error_message``) of each conversation's newest job (None without jobs), as
        correlated subqueries: still one query for the whole list."""
        from .job import Job

        latest = Job.objects.filter(conversation=OuterRef("pk")).order_by("-created_at", "-pk")
        return self.annotate(
            latest_job_state=Subquery(latest.values("state")[:1]),
            latest_job_kind=Subquery(latest.values("kind")[:1]),
            latest_job_error=Subquery(latest.values("error_message")[:1]),
        )


class Conversation(models.Model):
    """One meeting or call: one or more recordings (jobs) diarized into members."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="conversations")
    title = models.CharField(max_length=200)
    vendor = models.CharField(max_length=16, choices=Vendor.choices, default=Vendor.FILE)
    source_format = models.CharField(
        max_length=16, blank=True, help_text="Format of the first imported file or result."
    )
    external_id = models.CharField(
        max_length=200, blank=True, help_text="Vendor conversation id (Symbl conversationId…)."
    )
    started_at = models.DateTimeField(null=True, blank=True)
    language = models.CharField(max_length=16, blank=True)
    speaker_count_hint = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ConversationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["workspace", "-created_at"])]

    def __str__(self) -> str:
        return self.title
