"""``GET /conversations/{id}/members`` and ``PUT /conversations/{id}/members/{memberId}``
(Symbl's Conversation API, vendor-apis.md §1.5)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework.response import Response

from diarization_portal.conversations.models import Conversation, Member
from diarization_portal.conversations.services import speakers

from ..access import conversation_for, member_for
from ..schema import error_response
from ..serializers import MemberSerializer, MemberUpdateSerializer, MessageReplySerializer
from .base import ConversationScoped


def updated_message(member_id, conversation: Conversation) -> str:
    """Symbl's reply text to a member update (rename or merge), word for word."""
    return (
        f"Member with id: {member_id} for conversationId: {conversation.pk} updated "
        "successfully! The update should be reflected in all messages and insights along "
        "with this conversation"
    )


def _changes(member: Member, name: str, email: str | None) -> bool:
    if name.strip() != member.name:
        return True
    return email is not None and email.strip().lower() != member.email.lower()


class MemberList(ConversationScoped):
    """The live members (speakers) of a conversation, in order of first appearance."""

    share_link_readable = True  # a share link reads its own conversation (api.permissions)

    @extend_schema(
        operation_id="conversations_members_list",
        summary="List a conversation's members",
        responses={
            200: inline_serializer("MemberListReply", {"members": MemberSerializer(many=True)})
        },
        tags=["members"],
    )
    def get(self, request, pk: int):
        conversation, _ = conversation_for(request, pk)
        members = Member.objects.live().filter(conversation=conversation).order_by("position")
        return Response({"members": MemberSerializer(members, many=True).data})


class MemberDetail(ConversationScoped):
    """Rename a member, or merge it into the member that has the given email."""

    @extend_schema(
        operation_id="conversations_members_update",
        summary="Update a member (rename, or merge by email)",
        description=(
            "Symbl's member update. The new `name` (and `email`, when given) reaches every "
            "message `from` and every insight `from` and `assignee` at once. When `email` "
            "belongs to another member of the conversation, this member is merged into that "
            "one, which keeps its own id, name and email; this member's id then no longer "
            'exists. `email` left out or null keeps the email, `""` clears it. Editors and '
            "admins only. Sending what the member already has changes nothing and answers 200. "
            "A 409 `conflict` when another edit of the same speakers got there first (nothing "
            "changed: read the members again)."
        ),
        request=MemberUpdateSerializer,
        responses={200: MessageReplySerializer, 409: error_response(409)},
        examples=[
            OpenApiExample(
                "Rename",
                value={"id": "2f69f1c8-bf0a-48ef-b47f-95ae5a4de325", "name": "Ana Ruiz"},
                request_only=True,
            ),
            OpenApiExample(
                "Merge by email",
                value={
                    "id": "2f69f1c8-bf0a-48ef-b47f-95ae5a4de325",
                    "name": "Ana Ruiz",
                    "email": "ana@example.com",
                },
                request_only=True,
            ),
        ],
        tags=["members"],
    )
    def put(self, request, pk: int, member_id):
        conversation, _ = conversation_for(request, pk, edit=True)
        member = member_for(conversation, member_id)
        body = MemberUpdateSerializer(data=request.data, context={"member_id": member.uuid})
        body.is_valid(raise_exception=True)
        name, email = body.validated_data["name"], body.validated_data.get("email")
        if _changes(member, name, email):
            speakers.member_rename(member=member, name=name, email=email, user=request.user)
        return Response({"message": updated_message(member.uuid, conversation)})
