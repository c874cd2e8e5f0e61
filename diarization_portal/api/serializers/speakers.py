"""Bodies and replies of the speaker operations beyond Symbl's member update: merge, split,
reassign, the edit history and undo (DESIGN §3).

Message ids are the messages' primary keys as decimal strings (as in ``GET …/messages``);
integers are accepted too. Member ids are the members' UUIDs.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from diarization_portal.conversations.models import EditOp, SpeakerEdit

from ..schema import FieldErrorSerializer
from .common import MemberSerializer, iso

#: Most messages one reassign or split may name.
MAX_MESSAGE_IDS = 20000
#: The largest primary key a database column holds.
MAX_PK = 2**63 - 1


@extend_schema_field({"type": "string", "pattern": "^[0-9]+$", "example": "6412283618000896"})
class MessageIdField(serializers.Field):
    """A message id: a decimal string (an integer is accepted too). Validates to an ``int``."""

    default_error_messages = {"invalid": "must be a message id (a decimal string)"}

    def to_internal_value(self, data) -> int:
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, int):
            value = data
        elif isinstance(data, str) and data.isascii() and data.isdigit():
            value = int(data)
        else:
            self.fail("invalid")
        if not 0 < value <= MAX_PK:
            self.fail("invalid")
        return value

    def to_representation(self, value) -> str:
        return str(value)


def message_ids_field(help_text: str) -> serializers.ListField:
    """A ``messageIds`` body field: 1 to :data:`MAX_MESSAGE_IDS` message ids."""
    return serializers.ListField(
        child=MessageIdField(),
        min_length=1,
        max_length=MAX_MESSAGE_IDS,
        help_text=help_text,
    )


class MergeSerializer(serializers.Serializer):
    """Body of ``POST /conversations/{id}/members/{memberId}/merge``."""

    targetId = serializers.UUIDField(
        help_text="The member (UUID) that stays: it keeps its id, name and email and takes "
        "every message and insight of the member in the path."
    )


class SplitSerializer(serializers.Serializer):
    """Body of ``POST /conversations/{id}/split``."""

    messageIds = message_ids_field("The messages the new member said.")
    name = serializers.CharField(max_length=200, help_text="The new member's name.")


class ReassignSerializer(serializers.Serializer):
    """Body of ``POST /conversations/{id}/messages/reassign``."""

    messageIds = message_ids_field("The messages to give to the member.")
    memberId = serializers.UUIDField(help_text="The live member (UUID) who said them.")


class EditSerializer(serializers.Serializer):
    """A recorded speaker edit as the history shows it.

    ``undoable`` is true while the edit is active and no later active edit changed the same
    members; ``blockedBy`` lists those later edits (undo them first, newest first)."""

    # Context ``blocked_by``: {edit pk: [later edit pks]} computed by the view.

    id = serializers.CharField(source="pk", help_text="The edit's id (decimal string).")
    op = serializers.ChoiceField(choices=EditOp.values)
    summary = serializers.CharField(help_text="What it did, for people.")
    user = serializers.SerializerMethodField(help_text="Who did it (username), or null.")
    createdAt = serializers.SerializerMethodField()
    undoneAt = serializers.SerializerMethodField(help_text="When it was undone, or null.")
    undoneBy = serializers.SerializerMethodField(help_text="Who undid it (username), or null.")
    undoable = serializers.SerializerMethodField()
    blockedBy = serializers.SerializerMethodField(
        help_text="Ids of later active edits that changed the same members."
    )

    @extend_schema_field({"type": "string", "nullable": True})
    def get_user(self, edit: SpeakerEdit) -> str | None:
        return edit.user.get_username() if edit.user_id else None

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_createdAt(self, edit: SpeakerEdit) -> str:
        return iso(edit.created_at)

    @extend_schema_field({"type": "string", "format": "date-time", "nullable": True})
    def get_undoneAt(self, edit: SpeakerEdit) -> str | None:
        return iso(edit.undone_at)

    @extend_schema_field({"type": "string", "nullable": True})
    def get_undoneBy(self, edit: SpeakerEdit) -> str | None:
        return edit.undone_by.get_username() if edit.undone_by_id else None

    def _blocked_by(self, edit: SpeakerEdit) -> list[int]:
        return self.context.get("blocked_by", {}).get(edit.pk, [])

    def get_undoable(self, edit: SpeakerEdit) -> bool:
        return not edit.is_undone and not self._blocked_by(edit)

    def get_blockedBy(self, edit: SpeakerEdit) -> list[str]:
        return [str(pk) for pk in self._blocked_by(edit)]


class SpeakerOperationReplySerializer(serializers.Serializer):
    """The reply to a speaker operation or an undo: the recorded ``edit`` and the live
    ``members`` whose messages, insights, name or email it changed, as they are now."""

    edit = EditSerializer()
    members = MemberSerializer(many=True)


class SplitReplySerializer(SpeakerOperationReplySerializer):
    """The reply to a split: also the new ``member`` (which is in ``members`` too)."""

    member = MemberSerializer(help_text="The new member.")


class UndoConflictSerializer(serializers.Serializer):
    """409 ``conflict``: the error shape plus the later edits to undo first."""

    type = serializers.CharField(help_text="`conflict`.")
    message = serializers.CharField()
    errors = FieldErrorSerializer(many=True, help_text="Empty.")
    blockingEdits = EditSerializer(
        many=True, help_text="The later active edits that changed the same members."
    )
