"""Insights (action items, questions, follow-ups) as Symbl's ``GET /v1/conversations/{id}/
action-items`` shows them (vendor-apis.md §1.5)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from diarization_portal.conversations.models import Insight, InsightType

from .common import InsightFromSerializer, iso, member_ref_field, with_field


@extend_schema_field({"type": "array", "items": {"type": "object", "additionalProperties": {}}})
class JsonListField(serializers.JSONField):
    """A JSON list of objects stored as the vendor gave it."""


class InsightSerializer(serializers.Serializer):
    """An action item, question or follow-up as Symbl shows it. `from` and `assignee` are `{}`
    when unknown; `from` also carries the email as `userId`, like Symbl's. `score`,
    `definitive` and `dueBy` are null when the source did not give them."""

    # Reads ``from_member``/``assignee`` (select_related) and ``message_refs`` (prefetched).

    id = serializers.CharField(source="pk", help_text="The insight's id (decimal string).")
    text = serializers.CharField()
    type = serializers.ChoiceField(choices=InsightType.values)
    score = serializers.FloatField(allow_null=True)
    messageIds = serializers.SerializerMethodField()
    entities = JsonListField(help_text="As the vendor gave them (Symbl entities).")
    phrases = JsonListField(help_text='As the vendor gave them: [{"type", "text"}].')
    definitive = serializers.BooleanField(allow_null=True)
    assignee = member_ref_field("assignee", help_text="Who it is assigned to, or {}.")
    dueBy = serializers.SerializerMethodField()

    def get_fields(self) -> dict:
        sender = member_ref_field(
            "from_member", InsightFromSerializer, help_text="Who said it, or {}."
        )
        return with_field(super().get_fields(), "from", sender, after="phrases")

    def get_messageIds(self, insight: Insight) -> list[str]:
        return [str(message.pk) for message in insight.message_refs]

    @extend_schema_field({"type": "string", "format": "date-time", "nullable": True})
    def get_dueBy(self, insight: Insight) -> str | None:
        return iso(insight.due_by)
