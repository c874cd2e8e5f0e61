"""The body and reply of Symbl's ``PUT /v1/conversations/{id}/members/{memberId}``."""

from __future__ import annotations

from rest_framework import serializers


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
