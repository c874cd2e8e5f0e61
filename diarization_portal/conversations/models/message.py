"""Messages (utterances) and the insights drawn from them; both point to members."""

from __future__ import annotations

from django.db import models

from .conversation import Conversation
from .job import Job
from .member import Member


class Message(models.Model):
    """One utterance (segment) of a speaker turn: ``start``/``end`` in seconds.

    ``diarized_member`` is who the import said spoke; it never changes after import.
    ``member`` is who spoke according to the people editing the conversation.
    """

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    external_id = models.CharField(max_length=200)
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="messages")
    diarized_member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="diarized_messages"
    )
    text = models.TextField(blank=True)
    start = models.FloatField()
    end = models.FloatField()
    channel = models.IntegerField(default=0)
    job = models.ForeignKey(
        Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )

    class Meta:
        ordering = ["start", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "external_id"], name="uniq_message_external_id"
            )
        ]
        indexes = [models.Index(fields=["conversation", "start"])]

    def __str__(self) -> str:
        return f"{self.start:.2f}-{self.end:.2f}: {self.text[:60]}"

    @property
    def duration(self) -> float:
        return self.end - self.start


class InsightType(models.TextChoices):
    ACTION_ITEM = "action_item", "Action item"
    QUESTION = "question", "Question"
    FOLLOW_UP = "follow_up", "Follow-up"


class Insight(models.Model):
    """An action item, question or follow-up with a ``from`` member and an ``assignee``."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="insights"
    )
    external_id = models.CharField(max_length=200)
    type = models.CharField(max_length=16, choices=InsightType.choices)
    text = models.TextField()
    score = models.FloatField(null=True, blank=True)
    from_member = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.PROTECT, related_name="insights_from"
    )
    assignee = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.PROTECT, related_name="insights_assigned"
    )
    messages = models.ManyToManyField(Message, blank=True, related_name="insights")
    phrases = models.JSONField(default=list, blank=True)
    entities = models.JSONField(default=list, blank=True)
    definitive = models.BooleanField(null=True, blank=True)
    due_by = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "external_id"], name="uniq_insight_external_id"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()}: {self.text[:60]}"
