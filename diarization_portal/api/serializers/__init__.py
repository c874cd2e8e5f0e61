"""Reply and request serializers of the REST API (conventions in :mod:`.common`)."""

from .common import (
    InsightFromSerializer,
    MemberRefSerializer,
    MemberSerializer,
    clock,
    iso,
    member_ref_field,
    seconds,
    with_field,
)
from .conversations import ConversationQuerySerializer, ConversationSerializer, timeline_start
from .insights import InsightSerializer
from .members import MemberUpdateSerializer, MessageReplySerializer
from .messages import MessageSerializer

__all__ = [
    "ConversationQuerySerializer",
    "ConversationSerializer",
    "InsightFromSerializer",
    "InsightSerializer",
    "MemberRefSerializer",
    "MemberSerializer",
    "MemberUpdateSerializer",
    "MessageReplySerializer",
    "MessageSerializer",
    "clock",
    "iso",
    "member_ref_field",
    "seconds",
    "timeline_start",
    "with_field",
]
