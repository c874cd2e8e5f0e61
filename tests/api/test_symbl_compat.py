"""Symbl compatibility: replay the request/response examples of Symbl's Conversation API
(``symbl_examples.json``, from vendor-apis.md §1.5) against the portal, with data built to
match each example, and compare keys, types and values.

Every key of Symbl's reply must be in the portal's with the same type and value, except the
few the portal does not store (``OMITTED``). Keys the portal adds are listed in ``EXTRAS``, so a
change to the reply shape shows up here.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from diarization_portal.conversations.models import (
    Conversation,
    Insight,
    InsightType,
    Member,
    Message,
)
from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db

EXAMPLES = json.loads((Path(__file__).with_name("symbl_examples.json")).read_text())
CONVERSATION_ID = 5120334411530240
BASE = f"/api/v1/conversations/{CONVERSATION_ID}"

# Not stored by the portal: message phrases, sentiment and words; conversation metadata.
OMITTED = {
    "conversation": {".metadata"},
    "messages": {".messages[0].phrases", ".messages[0].sentiment", ".messages[0].words"},
}
# Added by the portal (paging and its own conversation fields; the email beside userId).
PAGING = {".limit", ".offset", ".total"}
EXTRAS = {
    "conversation": {
        ".workspace",
        ".vendor",
        ".externalId",
        ".language",
        ".duration",
        ".createdAt",
        ".role",
        ".access_source",
    },
    "members": set(),
    "member_update": set(),
    "messages": PAGING,
    "action_items": PAGING | {".actionItems[0].from.email"},
    "delete": set(),
}


def compare(symbl, ours, path: str, omitted: set[str], extras: list[str]) -> None:
    """Assert ``ours`` has ``symbl``'s keys, types and values; collect keys only ours has."""
    if path in omitted:
        return
    if isinstance(symbl, dict):
        assert isinstance(ours, dict), f"{path}: {ours!r} is not an object"
        for key, value in symbl.items():
            inner = f"{path}.{key}"
            if inner in omitted:
                continue
            assert key in ours, f"{inner} is missing from the portal's reply"
            compare(value, ours[key], inner, omitted, extras)
        extras.extend(f"{path}.{key}" for key in ours if key not in symbl)
    elif isinstance(symbl, list):
        assert isinstance(ours, list), f"{path}: {ours!r} is not a list"
        assert len(ours) == len(symbl), f"{path}: {len(ours)} items, Symbl shows {len(symbl)}"
        for index, (theirs, mine) in enumerate(zip(symbl, ours, strict=True)):
            compare(theirs, mine, f"{path}[{index}]", omitted, extras)
    else:
        assert type(ours) is type(symbl), f"{path}: {type(ours).__name__} vs {symbl!r}"
        assert ours == symbl, f"{path}: {ours!r}, Symbl shows {symbl!r}"


def replay(client, auth, name: str):
    example = EXAMPLES[name]
    method, path = example["request"].split(" ", 1)
    url = "/api" + path
    if method == "PUT":
        response = client.put(url, example["body"], content_type="application/json", **auth)
    else:
        response = getattr(client, method.lower())(url, **auth)
    assert response.status_code == 200, response.content
    extras: list[str] = []
    compare(example["response"], response.json(), "", OMITTED.get(name, set()), extras)
    assert set(extras) == EXTRAS[name]


@pytest.fixture
def conversation(ws):
    return Conversation.objects.create(
        pk=CONVERSATION_ID,
        workspace=ws,
        title="Weekly sync",
        vendor="symbl",
        external_id=str(CONVERSATION_ID),
        started_at=datetime(2024, 3, 4, 10, 0, 1, 120000, tzinfo=UTC),
    )


def member(conversation, uuid: str, name: str, position: int, email: str = "") -> Member:
    return Member.objects.create(
        conversation=conversation, uuid=uuid, name=name, email=email, position=position
    )


def said(conversation, who: Member, pk: int, text: str, start: float, end: float) -> Message:
    return Message.objects.create(
        pk=pk,
        conversation=conversation,
        external_id=str(pk),
        member=who,
        diarized_member=who,
        text=text,
        start=start,
        end=end,
    )


@pytest.fixture
def auth(people):
    return bearer(people["editor"])


def test_get_conversation(client, auth, conversation):
    one = member(conversation, "9d6d34d9-5019-4d7e-9e4b-1f3e2a6c8b10", "Speaker 1", 0)
    member(conversation, "2f69f1c8-bf0a-48ef-b47f-95ae5a4de325", "Ana Ruiz", 1, "ana@example.com")
    said(conversation, one, 1, "Hello.", 0.0, 2496.78)
    replay(client, auth, "conversation")


def test_get_members(client, auth, conversation):
    member(conversation, "9d6d34d9-5019-4d7e-9e4b-1f3e2a6c8b10", "Speaker 1", 0)
    member(conversation, "2f69f1c8-bf0a-48ef-b47f-95ae5a4de325", "Speaker 2", 1)
    replay(client, auth, "members")


def test_put_member_then_get_members(client, auth, conversation):
    member(conversation, "9d6d34d9-5019-4d7e-9e4b-1f3e2a6c8b10", "Speaker 1", 0)
    member(conversation, "2f69f1c8-bf0a-48ef-b47f-95ae5a4de325", "Speaker 2", 1)
    replay(client, auth, "member_update")
    # The reply of GET /{id} after the update matches Symbl's conversation example's members.
    members = client.get(f"{BASE}/members", **auth).json()["members"]
    assert members == EXAMPLES["conversation"]["response"]["members"]


def test_get_messages(client, auth, conversation):
    ana = member(conversation, "2f69f1c8-bf0a-48ef-b47f-95ae5a4de325", "Speaker 2", 0)
    said(conversation, ana, 6412283618000896, "Let's ship on Friday.", 191.38, 192.98)
    replay(client, auth, "messages")


def test_get_action_items(client, auth, conversation):
    lucy = member(
        conversation, "c99e7baf-3b51-4c1e-9d52-6a0f1c2e7d44", "Lucy", 0, "lucy@example.com"
    )
    ravi = member(
        conversation, "5e1f0a7c-8d2b-4f63-a9e4-0c7b3d9e2f18", "Ravi", 1, "ravi@example.com"
    )
    line = said(
        conversation, lucy, 4854542482014208, "Ravi will send the revised quote tomorrow.", 5, 8
    )
    item = EXAMPLES["action_items"]["response"]["actionItems"][0]
    insight = Insight.objects.create(
        pk=int(item["id"]),
        conversation=conversation,
        external_id=item["id"],
        type=InsightType.ACTION_ITEM,
        text=item["text"],
        score=item["score"],
        from_member=lucy,
        assignee=ravi,
        entities=item["entities"],
        phrases=item["phrases"],
        definitive=item["definitive"],
        due_by=datetime(2024, 3, 5, 7, 0, tzinfo=UTC),
    )
    insight.messages.add(line)
    replay(client, auth, "action_items")


def test_delete_conversation(client, auth, conversation):
    member(conversation, "9d6d34d9-5019-4d7e-9e4b-1f3e2a6c8b10", "Speaker 1", 0)
    replay(client, auth, "delete")
    assert not Conversation.objects.filter(pk=CONVERSATION_ID).exists()
