"""Speaker operations beyond Symbl's member update (DESIGN §3), for editors and admins:

* ``POST /conversations/{id}/members/{memberId}/merge`` ``{targetId}``: merge the member of the
  path into the target (one merge endpoint, on the member that disappears, like Symbl's
  merge-by-email PUT on that member);
* ``POST /conversations/{id}/split`` ``{messageIds, name}``: a new member for those messages;
* ``POST /conversations/{id}/messages/reassign`` ``{messageIds, memberId}``;
* ``GET /conversations/{id}/edits``: the history, newest first; any member of the workspace;
* ``POST /conversations/{id}/edits/{editId}/undo``.

Each calls one service of :mod:`diarization_portal.conversations.services.speakers`; a refused
operation is a 400 ``invalid_operation`` and an undo blocked by later edits a 409 ``conflict``
that lists them (``blockingEdits``); any of them that loses a race with another edit of the
same speakers (``ConcurrentEdit``) is a 409 ``conflict`` too, and changed nothing. Ids in a
body that name nothing in the conversation are a 400 ``validation_error`` naming the field
(``["body", "messageIds", 3]``).
"""

from __future__ import annotations

from collections.abc import Iterable

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from diarization_portal.conversations.models import (
    Conversation,
    Member,
    Message,
    SpeakerEdit,
)
from diarization_portal.conversations.services import speakers

from ..access import MAX_PK, conversation_for, member_for
from ..exceptions import CONCURRENT_EDIT, error_body
from ..pagination import paged
from ..schema import error_response
from ..serializers import MemberSerializer
from ..serializers.speakers import (
    EditSerializer,
    MergeSerializer,
    ReassignSerializer,
    SpeakerOperationReplySerializer,
    SplitReplySerializer,
    SplitSerializer,
    UndoConflictSerializer,
)
from .base import ConversationItemList, ConversationScoped

LOST_RACE = (
    "One that loses a race with another edit of the same speakers is a 409 `conflict` "
    "(nothing changed: read the speakers again)."
)

#: Unknown message ids reported per request (the rest are counted in the message).
MAX_REPORTED = 50
#: Ids per ``IN (...)`` query (SQLite binds at most 32,766 parameters).
ID_CHUNK = 5000


def validated(serializer_class, request) -> dict:
    """The request body validated by ``serializer_class``; 400 ``validation_error`` naming
    each bad field otherwise."""
    body = serializer_class(data=request.data)
    body.is_valid(raise_exception=True)
    return body.validated_data


def member_in(conversation: Conversation, member_id, field: str) -> Member:
    """The member ``member_id`` (UUID) of ``conversation``, merged or not (the service refuses
    merged members with its own words). A 400 naming ``field`` when there is none."""
    member = Member.objects.filter(conversation=conversation, uuid=member_id).first()
    if member is None:
        raise ValidationError({field: ["no member with this id in this conversation"]})
    return member


def messages_in(conversation: Conversation, ids: list[int], field: str = "messageIds") -> list[int]:
    """``ids`` when every one is a message of ``conversation``; else a 400 naming the index
    of each unknown id in ``field`` (the first :data:`MAX_REPORTED` of them)."""
    wanted = sorted(set(ids))
    found: set[int] = set()
    for i in range(0, len(wanted), ID_CHUNK):
        found.update(
            Message.objects.filter(
                conversation=conversation, pk__in=wanted[i : i + ID_CHUNK]
            ).values_list("pk", flat=True)
        )
    unknown = [i for i, pk in enumerate(ids) if pk not in found][:MAX_REPORTED]
    if unknown:
        message = ["no message with this id in this conversation"]
        raise ValidationError({field: {i: message for i in unknown}})
    return ids


def blocked_map(conversation: Conversation, edits: Iterable[SpeakerEdit]) -> dict[int, list[int]]:
    """``{edit pk: [pks of later active edits that changed a member it changed]}`` for the
    active ``edits`` of ``conversation``, newest blocker first (the order to undo them in).
    One query (:meth:`SpeakerEditQuerySet.blocked_map
    <diarization_portal.conversations.models.SpeakerEditQuerySet.blocked_map>`)."""
    return SpeakerEdit.objects.filter(conversation=conversation).blocked_map(edits)


def edits_data(conversation: Conversation, edits: list[SpeakerEdit]) -> list[dict]:
    """``edits`` serialized with their ``undoable``/``blockedBy``."""
    context = {"blocked_by": blocked_map(conversation, edits)}
    return EditSerializer(edits, many=True, context=context).data


def operation_reply(conversation: Conversation, edit: SpeakerEdit) -> dict:
    """``{"edit", "members"}``: the edit and the live members it changed, as they are now."""
    edit = SpeakerEdit.objects.select_related("user", "undone_by").get(pk=edit.pk)
    members = (
        Member.objects.live()
        .filter(conversation=conversation, pk__in=edit.member_ids())
        .order_by("position", "pk")
    )
    return {
        "edit": edits_data(conversation, [edit])[0],
        "members": MemberSerializer(members, many=True).data,
    }


class MemberMerge(ConversationScoped):
    """Merge a member into another member of the same conversation."""

    @extend_schema(
        operation_id="conversations_members_merge",
        summary="Merge a member into another",
        description=(
            "Every message, insight `from` and `assignee` of the member in the path moves to "
            "`targetId`, which keeps its own id, name and email; the member in the path then "
            "no longer exists (as after Symbl's merge by email). Undo it with the edit's "
            "undo. Editors and admins. A merge into itself, or of a member already merged, is "
            "a 400 `invalid_operation`. " + LOST_RACE
        ),
        request=MergeSerializer,
        responses={200: SpeakerOperationReplySerializer, 409: error_response(409)},
        examples=[
            OpenApiExample(
                "Merge",
                value={"targetId": "2f69f1c8-bf0a-48ef-b47f-95ae5a4de325"},
                request_only=True,
            )
        ],
        tags=["speakers"],
    )
    def post(self, request, pk: int, member_id):
        conversation, _ = conversation_for(request, pk, edit=True)
        source = member_for(conversation, member_id)
        body = validated(MergeSerializer, request)
        target = member_in(conversation, body["targetId"], "targetId")
        edit = speakers.member_merge(source=source, target=target, user=request.user)
        return Response(operation_reply(conversation, edit))


class MessagesSplit(ConversationScoped):
    """Give chosen messages to a new member (one diarized label hid two people)."""

    @extend_schema(
        operation_id="conversations_split",
        summary="Split messages off into a new member",
        description=(
            "Creates a member called `name` and gives it the messages `messageIds`; insights "
            "whose messages all end up with the new member follow them (`from`). Undoing the "
            "edit gives the messages back and removes the member. Editors and admins. Replies "
            "201 with the new `member`. " + LOST_RACE
        ),
        request=SplitSerializer,
        responses={201: SplitReplySerializer, 409: error_response(409)},
        tags=["speakers"],
    )
    def post(self, request, pk: int):
        conversation, _ = conversation_for(request, pk, edit=True)
        body = validated(SplitSerializer, request)
        ids = messages_in(conversation, body["messageIds"])
        edit, member = speakers.messages_split(
            conversation=conversation, messages=ids, name=body["name"], user=request.user
        )
        reply = operation_reply(conversation, edit)
        reply["member"] = MemberSerializer(member).data
        return Response(reply, status=status.HTTP_201_CREATED)


class MessagesReassign(ConversationScoped):
    """Say who spoke chosen messages."""

    @extend_schema(
        operation_id="conversations_messages_reassign",
        summary="Reassign messages to a member",
        description=(
            "`memberId` said the messages `messageIds`. Insights whose messages all end up "
            "with one member take that member as `from`. `members` in the reply: the member "
            "and those who lost messages. Editors and admins. When the member already says "
            "every message, or is merged, a 400 `invalid_operation`. " + LOST_RACE
        ),
        request=ReassignSerializer,
        responses={200: SpeakerOperationReplySerializer, 409: error_response(409)},
        tags=["speakers"],
    )
    def post(self, request, pk: int):
        conversation, _ = conversation_for(request, pk, edit=True)
        body = validated(ReassignSerializer, request)
        member = member_in(conversation, body["memberId"], "memberId")
        ids = messages_in(conversation, body["messageIds"])
        edit = speakers.messages_reassign(messages=ids, member=member, user=request.user)
        return Response(operation_reply(conversation, edit))


class EditList(ConversationItemList):
    """The speaker edits of a conversation, newest first."""

    serializer_class = EditSerializer
    pagination_class = paged("edits", default_limit=50, max_limit=500)

    def items(self, conversation):
        return (
            SpeakerEdit.objects.filter(conversation=conversation)
            .select_related("user", "undone_by")
            .order_by("-pk")
        )

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(edits_data(self.conversation, page))

    @extend_schema(
        operation_id="conversations_edits_list",
        summary="List a conversation's speaker edits (history)",
        description=(
            "Renames, merges, reassignments and splits, newest first, with who made them and "
            "whether they can be undone now (`undoable`; `blockedBy`: the later edits to undo "
            "first). Reply: `{edits: [...], limit, offset, total}`."
        ),
        tags=["speakers"],
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)


class EditUndo(ConversationScoped):
    """Undo one speaker edit."""

    @extend_schema(
        operation_id="conversations_edits_undo",
        summary="Undo a speaker edit",
        description=(
            "Restores exactly what the edit changed and marks it undone. An edit already "
            "undone is a 400 `invalid_operation`; an edit a later active edit depends on "
            "(the same members) is a 409 `conflict` whose `blockingEdits` lists them: undo "
            "those first. Editors and admins. An undo that loses a race with another edit of "
            "the same speakers is a 409 `conflict` with no `blockingEdits` (nothing changed: "
            "read the edits again)."
        ),
        request=None,
        responses={
            200: SpeakerOperationReplySerializer,
            409: UndoConflictSerializer,
        },
        tags=["speakers"],
    )
    def post(self, request, pk: int, edit_id: int):
        conversation, _ = conversation_for(request, pk, edit=True)
        edit = (
            SpeakerEdit.objects.filter(conversation=conversation, pk=edit_id).first()
            if 0 < edit_id <= MAX_PK
            else None
        )
        if edit is None:
            raise NotFound("No such edit in this conversation")
        try:
            edit = speakers.edit_undo(edit=edit, user=request.user)
        except speakers.ConcurrentEdit:
            body = error_body("conflict", CONCURRENT_EDIT)
            body["blockingEdits"] = []
            return Response(body, status=status.HTTP_409_CONFLICT)
        except speakers.UndoConflict as conflict:
            message = str(conflict)
            body = error_body("conflict", message[:1].upper() + message[1:])
            blocking = list(
                SpeakerEdit.objects.filter(pk__in=[e.pk for e in conflict.blocking])
                .select_related("user", "undone_by")
                .order_by("-pk")
            )
            body["blockingEdits"] = edits_data(conversation, blocking)
            return Response(body, status=status.HTTP_409_CONFLICT)
        return Response(operation_reply(conversation, edit))
