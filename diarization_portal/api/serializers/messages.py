"""Messages as Symbl's ``GET /v1/conversations/{id}/messages`` shows them (vendor-apis.md §1.5).

The portal has no per-message phrases, sentiment or words, so those keys are left out.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from diarization_portal.conversations.models import Message

from .common import clock, member_ref_field, seconds, with_field


class MessageSerializer(serializers.Serializer):
    """A message (utterance) as Symbl shows it. `from` is who said it; `timeOffset` and
    `duration` are seconds, `startTime`/`endTime` the conversation's start plus them."""

    # Context ``base``: the conversation's timeline start. Reads ``member`` (select_related).

    id = serializers.CharField(source="pk", help_text="The message's id (decimal string).")
    text = serializers.CharField()
    startTime = serializers.SerializerMethodField()
    endTime = serializers.SerializerMethodField()
    timeOffset = serializers.SerializerMethodField(
        help_text="Seconds from the start of the conversation."
    )
    duration = serializers.SerializerMethodField(help_text="Seconds.")
    conversationId = serializers.CharField(source="conversation_id")

    def get_fields(self) -> dict:
        speaker = member_ref_field("member", help_text="Who said it (the current speaker).")
        return with_field(super().get_fields(), "from", speaker, after="text")

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_startTime(self, message: Message) -> str:
        return clock(self.context["base"], message.start)

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_endTime(self, message: Message) -> str:
        return clock(self.context["base"], message.end)

    def get_timeOffset(self, message: Message) -> float:
        return seconds(message.start)

    def get_duration(self, message: Message) -> float:
        return seconds(message.end - message.start)
