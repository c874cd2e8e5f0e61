"""``GET /conversations/{id}/messages`` (Symbl's Conversation API, vendor-apis.md §1.5)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema

from diarization_portal.conversations.models import Message

from ..pagination import paged
from ..serializers import MessageSerializer, timeline_start
from .base import ConversationItemList


class MessageList(ConversationItemList):
    """A conversation's messages in time order, with who said each."""

    share_link_readable = True  # a share link reads its own conversation (api.permissions)

    serializer_class = MessageSerializer
    pagination_class = paged("messages", default_limit=1000, max_limit=5000)

    def items(self, conversation):
        return (
            Message.objects.filter(conversation=conversation)
            .select_related("member")
            .order_by("start", "pk")
        )

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        if self.conversation is not None:
            context["base"] = timeline_start(self.conversation)
        return context

    @extend_schema(
        operation_id="conversations_messages_list",
        summary="List a conversation's messages",
        description=(
            "Messages (utterances) in time order. `from` is the current speaker, so renames, "
            "merges and reassignments show at once. `timeOffset` and `duration` are seconds; "
            "`startTime`/`endTime` add them to the conversation's start (its import time when "
            "the start is unknown). Symbl returns all messages at once; here pages hold up to "
            "1000 by default, `total` tells whether there are more. Reply: `{messages: [...], "
            "limit, offset, total}`."
        ),
        tags=["messages"],
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)
