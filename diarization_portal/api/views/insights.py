"""``GET /conversations/{id}/insights``, ``/action-items``, ``/questions``, ``/follow-ups``
(Symbl's Conversation API, vendor-apis.md §1.5)."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema

from diarization_portal.conversations.models import Insight, InsightType, Message

from ..pagination import paged
from ..serializers import InsightSerializer
from .base import ConversationItemList


def insights_for_api(conversation, insight_type: str | None = None):
    """Insights of ``conversation`` (of one type, or all) with what :class:`InsightSerializer`
    reads: ``from_member`` and ``assignee`` joined, message ids prefetched (one extra query)."""
    insights = Insight.objects.filter(conversation=conversation)
    if insight_type is not None:
        insights = insights.filter(type=insight_type)
    return (
        insights.select_related("from_member", "assignee")
        .prefetch_related(
            Prefetch(
                "messages",
                queryset=Message.objects.only("pk").order_by("start", "pk"),
                to_attr="message_refs",
            )
        )
        .order_by("pk")
    )


class InsightList(ConversationItemList):
    """Insights of a conversation; subclasses narrow to one ``insight_type``."""

    share_link_readable = True  # a share link reads its own conversation (api.permissions)

    serializer_class = InsightSerializer
    insight_type: str | None = None
    pagination_class = paged("insights", default_limit=1000, max_limit=5000)

    def items(self, conversation):
        return insights_for_api(conversation, self.insight_type)

    @extend_schema(
        operation_id="conversations_insights_list",
        summary="List a conversation's insights",
        description="Action items, questions and follow-ups together. "
        "Reply: `{insights: [...], limit, offset, total}`.",
        tags=["insights"],
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)


class ActionItemList(InsightList):
    """The conversation's action items only (Symbl's ``GET /conversations/{id}/action-items``)."""

    insight_type = InsightType.ACTION_ITEM
    pagination_class = paged("actionItems", default_limit=1000, max_limit=5000)

    @extend_schema(
        operation_id="conversations_action_items_list",
        summary="List a conversation's action items",
        description="Reply: `{actionItems: [...], limit, offset, total}`.",
        tags=["insights"],
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)


class QuestionList(InsightList):
    """The conversation's questions only (Symbl's ``GET /conversations/{id}/questions``)."""

    insight_type = InsightType.QUESTION
    pagination_class = paged("questions", default_limit=1000, max_limit=5000)

    @extend_schema(
        operation_id="conversations_questions_list",
        summary="List a conversation's questions",
        description="Reply: `{questions: [...], limit, offset, total}`.",
        tags=["insights"],
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)


class FollowUpList(InsightList):
    """The conversation's follow-ups only (Symbl's ``GET /conversations/{id}/follow-ups``)."""

    insight_type = InsightType.FOLLOW_UP
    pagination_class = paged("followUps", default_limit=1000, max_limit=5000)

    @extend_schema(
        operation_id="conversations_follow_ups_list",
        summary="List a conversation's follow-ups",
        description=(
            "Same shape as action items. Reply: `{followUps: [...], limit, offset, total}`."
        ),
        tags=["insights"],
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)
