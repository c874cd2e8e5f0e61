"""Conversations as Symbl's ``GET /v1/conversations/{id}`` shows them (vendor-apis.md §1.5)."""

from __future__ import annotations

from datetime import datetime

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from diarization_portal.conversations.models import Conversation
from diarization_portal.workspaces.models import Role
from diarization_portal.workspaces.sharing import AccessSource, access_source_of

from .common import MemberSerializer, clock, iso, seconds


def timeline_start(conversation: Conversation) -> datetime:
    """Where offsets are counted from: ``started_at``, or ``created_at`` when the start of the
    recording is not known (see the package docstring, Times)."""
    return conversation.started_at or conversation.created_at


class ConversationSerializer(serializers.Serializer):
    """A conversation as Symbl shows it (`id`, `type`, `name`, `startTime`, `endTime`,
    `members`), plus the portal's `workspace`, `vendor`, `externalId`, `language`, `duration`
    (seconds) and `createdAt`, and the caller's `role` and `access_source` (ElevenLabs'
    `access_info`, vendor-apis.md §2.3)."""

    # Reads ``duration`` (Conversation.objects.with_stats()), ``live_members`` (prefetched),
    # ``caller_role`` and ``access_source`` (set by api.access.conversation_for, or annotated).

    id = serializers.CharField(source="pk", help_text="The conversation's id (decimal string).")
    type = serializers.SerializerMethodField()
    name = serializers.CharField(source="title")
    startTime = serializers.SerializerMethodField()
    endTime = serializers.SerializerMethodField()
    members = MemberSerializer(source="live_members", many=True)
    workspace = serializers.CharField(source="workspace.slug", help_text="The workspace's slug.")
    vendor = serializers.CharField(help_text="Where it came from: file, symbl, elevenlabs…")
    externalId = serializers.CharField(
        source="external_id", help_text="The vendor's conversation id, or empty."
    )
    language = serializers.CharField()
    duration = serializers.SerializerMethodField()
    createdAt = serializers.SerializerMethodField()
    role = serializers.ChoiceField(
        source="caller_role",
        choices=Role.choices,
        read_only=True,
        help_text="Your role for this conversation: admin, editor, commenter or viewer (a share "
        "link's level).",
    )
    access_source = serializers.SerializerMethodField(
        help_text="Why you can see it: `workspace_member` (editor, commenter or viewer of its "
        "workspace), `workspace_admin`, or `share_link` (`Authorization: Share <token>`)."
    )

    @extend_schema_field({"type": "string", "enum": list(AccessSource.choices)})
    def get_access_source(self, conversation: Conversation) -> str:
        return getattr(conversation, "access_source", None) or access_source_of(
            conversation.caller_role
        )

    @extend_schema_field({"type": "string", "enum": ["meeting"]})
    def get_type(self, conversation: Conversation) -> str:
        return "meeting"

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_startTime(self, conversation: Conversation) -> str:
        return iso(timeline_start(conversation))

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_endTime(self, conversation: Conversation) -> str:
        return clock(timeline_start(conversation), conversation.duration)

    def get_duration(self, conversation: Conversation) -> float:
        """Seconds from the start to the end of the last message."""
        return seconds(conversation.duration)

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_createdAt(self, conversation: Conversation) -> str:
        return iso(conversation.created_at)


class ConversationQuerySerializer(serializers.Serializer):
    """Query parameters of ``GET /conversations``."""

    name = serializers.CharField(
        required=False, help_text="Only conversations whose name contains this (any case)."
    )
    workspace = serializers.SlugField(
        required=False, help_text="Only this workspace (slug); 404 if you are not a member."
    )
    startTime = serializers.DateTimeField(
        required=False, help_text="Only conversations that started at or after this (ISO 8601)."
    )
    endTime = serializers.DateTimeField(
        required=False, help_text="Only conversations that started at or before this (ISO 8601)."
    )
    order = serializers.ChoiceField(
        choices=["desc", "asc"],
        default="desc",
        help_text="By start time: desc (newest first, the default) or asc.",
    )

    def validate(self, data: dict) -> dict:
        if "startTime" in data and "endTime" in data and data["startTime"] > data["endTime"]:
            raise serializers.ValidationError({"endTime": ["must not be before startTime"]})
        return data
