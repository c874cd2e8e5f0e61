"""Serializer conventions shared by every endpoint: camelCase names, string ids, ISO times.

Reply serializers are read-only ``Serializer`` classes with explicit camelCase fields and
``source=`` pointing at the model field. A field named like a Python keyword (``from``) is added
in ``get_fields`` with :func:`with_field`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from diarization_portal.conversations.models import Member


def iso(moment: datetime | None) -> str | None:
    """``2024-03-04T10:03:12.500Z``: UTC, milliseconds, ``Z`` — the way Symbl writes times."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def clock(base: datetime, seconds: float) -> str:
    """The ISO time ``seconds`` after ``base`` (see :func:`iso`)."""
    return iso(base + timedelta(seconds=seconds))


def seconds(value: float) -> float:
    """Seconds rounded to the millisecond (no float noise such as 1.6000000000000227)."""
    return round(value, 3)


def with_field(fields: dict, name: str, field, *, after: str) -> dict:
    """``fields`` with ``name`` inserted after ``after`` (for names that are Python keywords)."""
    result = {}
    for key, value in fields.items():
        result[key] = value
        if key == after:
            result[name] = field
    if name not in result:
        result[name] = field
    return result


class MemberSerializer(serializers.Serializer):
    """A member (speaker) as Symbl shows it: `{"id": "<uuid>", "name": "Speaker 1"}`, with
    `email` only when the member has one."""

    id = serializers.UUIDField(source="uuid", help_text="The member's id (a UUID).")
    name = serializers.CharField()
    email = serializers.EmailField(required=False, help_text="Left out when the member has none.")

    def to_representation(self, instance: Member) -> dict:
        data = {"id": str(instance.uuid), "name": instance.name}
        if instance.email:
            data["email"] = instance.email
        return data


class MemberRefSerializer(MemberSerializer):
    """Who: `{"id", "name", "email"?}`, or `{}` when unknown (as Symbl)."""

    id = serializers.UUIDField(source="uuid", required=False)
    name = serializers.CharField(required=False)


class InsightFromSerializer(MemberRefSerializer):
    """Who said it: `{"id", "name", "email"?, "userId"?}` (`userId` is the email, as in
    Symbl's insights), or `{}` when unknown."""

    userId = serializers.EmailField(
        required=False, help_text="The member's email, as in Symbl's insights."
    )

    def to_representation(self, instance: Member) -> dict:
        data = super().to_representation(instance)
        if instance.email:
            data["userId"] = instance.email
        return data


class MemberRefField(serializers.Field):
    """Reads ``attr`` (a member or ``None``) from the object and renders it with
    ``serializer_class`` (``{}`` for ``None``). Use with ``source="*"``."""

    def __init__(self, attr: str, serializer_class=MemberRefSerializer, **kwargs):
        self.attr = attr
        self.serializer_class = serializer_class
        kwargs.setdefault("source", "*")
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, instance) -> dict:
        member = getattr(instance, self.attr)
        return {} if member is None else self.serializer_class().to_representation(member)


def member_ref_field(attr: str, serializer_class=MemberRefSerializer, **kwargs) -> MemberRefField:
    """A :class:`MemberRefField` documented in the schema as ``serializer_class``."""
    field_class = extend_schema_field(serializer_class)(
        type(f"{serializer_class.__name__}Field", (MemberRefField,), {})
    )
    return field_class(attr, serializer_class, **kwargs)
