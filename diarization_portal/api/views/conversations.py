"""``GET /conversations``, ``GET /conversations/{id}``, ``DELETE /conversations/{id}``
(Symbl's Conversation API, vendor-apis.md §1.5)."""

from __future__ import annotations

from django.db.models import F, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics
from rest_framework.response import Response

from diarization_portal.conversations.models import Conversation, Member
from diarization_portal.conversations.services.conversations import conversation_delete
from diarization_portal.workspaces.models import Membership

from ..access import conversation_for, workspace_membership
from ..pagination import paged
from ..serializers import ConversationQuerySerializer, ConversationSerializer
from ..serializers.members import MessageReplySerializer
from .base import ConversationScoped, parse_query

DELETED = "successfully deleted the conversation"


def conversations_for_api():
    """Conversations with what :class:`ConversationSerializer` reads: ``duration`` and the
    other figures (``with_stats``), the workspace, the live members (one extra query) and
    ``timeline`` (the start, or ``created_at`` when unknown)."""
    return (
        Conversation.objects.with_stats()
        .select_related("workspace")
        .prefetch_related(
            Prefetch(
                "members",
                queryset=Member.objects.live().order_by("position", "pk"),
                to_attr="live_members",
            )
        )
        .annotate(timeline=Coalesce("started_at", "created_at"))
    )


class ConversationList(generics.ListAPIView):
    """The user's conversations across their workspaces, newest first."""

    serializer_class = ConversationSerializer
    pagination_class = paged("conversations", default_limit=20, max_limit=100)
    query_serializer_class = ConversationQuerySerializer

    def get_queryset(self):
        query = parse_query(self.request, ConversationQuerySerializer)
        conversations = conversations_for_api().filter(
            workspace__memberships__user=self.request.user
        )
        # The caller's role in each conversation's workspace (ConversationSerializer.role).
        conversations = conversations.annotate(
            caller_role=Subquery(
                Membership.objects.filter(
                    user=self.request.user, workspace=OuterRef("workspace")
                ).values("role")[:1]
            )
        )
        if "workspace" in query:
            membership = workspace_membership(self.request, query["workspace"])
            conversations = conversations.filter(workspace=membership.workspace)
        if "name" in query:
            conversations = conversations.filter(title__icontains=query["name"])
        if "startTime" in query:
            conversations = conversations.filter(timeline__gte=query["startTime"])
        if "endTime" in query:
            conversations = conversations.filter(timeline__lte=query["endTime"])
        if query["order"] == "asc":
            return conversations.order_by(F("timeline").asc(), "pk")
        return conversations.order_by(F("timeline").desc(), "-pk")

    @extend_schema(
        operation_id="conversations_list",
        summary="List conversations",
        description=(
            "Conversations of every workspace you belong to, newest first (by start time; the "
            "import time when the start is unknown). Unlike Symbl, no date range is applied by "
            "default, and Symbl's RSQL `filter` and `sort` are not supported (use `name`, "
            "`startTime`/`endTime` and `order`). Reply: `{conversations: [...], limit, offset, "
            "total}`."
        ),
        parameters=[ConversationQuerySerializer],
        tags=["conversations"],
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)


class ConversationDetail(ConversationScoped):
    """One conversation with its members; delete it (editors and admins). A share link reads
    its own conversation."""

    share_link_readable = True

    @extend_schema(
        operation_id="conversations_retrieve",
        summary="Get a conversation",
        description=(
            "The conversation with its live members (speakers), and your `role` and "
            "`access_source`. Also readable with a share link's token (`Authorization: Share "
            "<token>`): that conversation only, read-only."
        ),
        responses={200: ConversationSerializer},
        tags=["conversations"],
    )
    def get(self, request, pk: int):
        conversation, _ = conversation_for(request, pk, queryset=conversations_for_api())
        return Response(ConversationSerializer(conversation).data)

    @extend_schema(
        operation_id="conversations_destroy",
        summary="Delete a conversation",
        description=(
            "Deletes the conversation with its members, messages, insights, jobs and history, "
            "for good (editors and admins). The vendor's copy, if any, is left alone."
        ),
        responses={200: MessageReplySerializer},
        examples=[OpenApiExample("Deleted", value={"message": DELETED}, response_only=True)],
        tags=["conversations"],
    )
    def delete(self, request, pk: int):
        conversation, _ = conversation_for(request, pk, edit=True)
        conversation_delete(conversation=conversation)
        return Response({"message": DELETED})
