"""The body and reply of Symbl's ``PUT /v1/conversations/{id}/members/{memberId}``, and a
member with the state of its push to the vendor (beyond Symbl)."""

from __future__ import annotations

from rest_framework import serializers

from diarization_portal.conversations.models import Member, SyncState

from .common import MemberSerializer


class MemberUpdateSerializer(serializers.Serializer):
    """Symbl's member update: `id` (the member id of the path), `name`, and `email` (left out
    or null keeps the email, `""` clears it; another member's email merges into that member)."""

    id = serializers.UUIDField(help_text="The member id, the same as in the path.")
    name = serializers.CharField(max_length=200, help_text="The new name.")
    email = serializers.EmailField(
        required=False, allow_blank=True, allow_null=True, max_length=254
    )

    def validate_id(self, value):
        member_id = self.context.get("member_id")
        if member_id is not None and str(value) != str(member_id):
            raise serializers.ValidationError("must be the member id of the path")
        return value


class MessageReplySerializer(serializers.Serializer):
    """Symbl's reply to updates and deletes: `{"message": "..."}`."""

    message = serializers.CharField()


class MemberSyncSerializer(MemberSerializer):
    """A member (Symbl's `{id, name, email?}`) with its push to the vendor (DESIGN §4), outside
    Symbl's member shape: `syncState` is `local` (not at a vendor, or a vendor without member
    updates), `pending` (queued), `synced` or `failed` (`syncError`: the vendor's reason);
    `mergedInto` the member it was merged into (a merge is pushed as the merged member's
    update), or null."""

    # Reads ``merged_into`` (select_related).

    mergedInto = serializers.UUIDField(
        source="merged_into.uuid", allow_null=True, help_text="Or null for a live member."
    )
    syncState = serializers.ChoiceField(choices=SyncState.values, source="sync_state")
    syncError = serializers.CharField(
        source="sync_error", help_text="Why the last push failed, or empty."
    )

    def to_representation(self, instance: Member) -> dict:
        data = super().to_representation(instance)
        merged = instance.merged_into
        data.update(
            mergedInto=None if merged is None else str(merged.uuid),
            syncState=instance.sync_state,
            syncError=instance.sync_error,
        )
        return data
