"""Assertions of the end-to-end tests: what was imported equals what the vendor sent."""

from __future__ import annotations

from collections import Counter

from diarization_portal.conversations.models import Conversation, Member, Message


def segments(conversation: Conversation) -> list[tuple[str, int, float, float]]:
    """``(vendor label of the diarized member, channel, start, end)`` of every message,
    sorted; times rounded to the microsecond."""
    rows = Message.objects.filter(conversation=conversation).values_list(
        "diarized_member__vendor_label", "channel", "start", "end"
    )
    return sorted((label, channel, round(s, 6), round(e, 6)) for label, channel, s, e in rows)


def expect(rows) -> list[tuple[str, int, float, float]]:
    """Vendor segments ``(label, channel, start, end)`` in the form :func:`segments` gives."""
    return sorted((str(label), channel, round(s, 6), round(e, 6)) for label, channel, s, e in rows)


def assert_imported_once(conversation: Conversation, expected_rows) -> None:
    """The conversation holds exactly the vendor's segments: none lost, none twice, and
    every message external id once."""
    got, want = segments(conversation), expect(expected_rows)
    missing, extra = Counter(want) - Counter(got), Counter(got) - Counter(want)
    assert not missing and not extra, f"missing {list(missing)[:5]}, extra {list(extra)[:5]}"
    ids = list(
        Message.objects.filter(conversation=conversation).values_list("external_id", flat=True)
    )
    assert len(ids) == len(set(ids)) == len(want)


def members(conversation: Conversation) -> dict[str, Member]:
    """Live members by vendor label."""
    return {m.vendor_label: m for m in Member.objects.live().filter(conversation=conversation)}
