"""``GET /conversations/{id}/insights``, ``/action-items``, ``/questions``, ``/follow-ups``."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from diarization_portal.conversations.models import Insight, InsightType, Member
from tests import factories
from tests.api.conftest import bearer, count_queries

pytestmark = pytest.mark.django_db

TYPED = {
    "action_item_list": ("actionItems", InsightType.ACTION_ITEM),
    "question_list": ("questions", InsightType.QUESTION),
    "follow_up_list": ("followUps", InsightType.FOLLOW_UP),
}


@pytest.fixture
def auth(people):
    return bearer(people["commenter"])


def listing(client, conv, auth, name: str, **query) -> dict:
    response = client.get(reverse(f"api:{name}", args=[conv.pk]), query, **auth)
    assert response.status_code == 200, response.content
    return response.json()


def test_insights_lists_every_type_and_each_endpoint_one_type(client, ws, auth):
    conv = factories.conversation(ws, members=3, messages=9, insights=9)
    every = listing(client, conv, auth, "insight_list")
    assert every["total"] == 9
    assert {i["type"] for i in every["insights"]} == set(InsightType.values)
    for name, (key, insight_type) in TYPED.items():
        body = listing(client, conv, auth, name)
        assert set(body) == {key, "limit", "offset", "total"}
        assert body["total"] == 3
        assert {i["type"] for i in body[key]} == {insight_type}
        expected = Insight.objects.filter(conversation=conv, type=insight_type).order_by("pk")
        assert [i["id"] for i in body[key]] == [
            str(pk) for pk in expected.values_list("pk", flat=True)
        ]


def test_an_insight_carries_every_field_the_model_has(client, ws, auth):
    conv = factories.conversation(ws, members=2, messages=4)
    lucy, ravi = conv.members.order_by("position")
    Member.objects.filter(pk=lucy.pk).update(name="Lucy", email="lucy@example.com")
    Member.objects.filter(pk=ravi.pk).update(name="Ravi")
    first, second = conv.messages.order_by("start")[:2]
    item = Insight.objects.create(
        conversation=conv,
        external_id="a1",
        type=InsightType.ACTION_ITEM,
        text="Ravi will send the revised quote tomorrow.",
        score=0.97,
        from_member=lucy,
        assignee=ravi,
        phrases=[{"type": "action_phrase", "text": "send the revised quote"}],
        entities=[{"type": "date", "text": "tomorrow", "offset": 32, "value": "2024-03-05"}],
        definitive=True,
        due_by=datetime(2024, 3, 5, 7, 0, tzinfo=UTC),
    )
    item.messages.set([second, first])
    (got,) = listing(client, conv, auth, "action_item_list")["actionItems"]
    assert got == {
        "id": str(item.pk),
        "text": "Ravi will send the revised quote tomorrow.",
        "type": "action_item",
        "score": 0.97,
        "messageIds": [str(first.pk), str(second.pk)],
        "entities": [{"type": "date", "text": "tomorrow", "offset": 32, "value": "2024-03-05"}],
        "phrases": [{"type": "action_phrase", "text": "send the revised quote"}],
        "from": {
            "id": str(lucy.uuid),
            "name": "Lucy",
            "email": "lucy@example.com",
            "userId": "lucy@example.com",
        },
        "definitive": True,
        "assignee": {"id": str(ravi.uuid), "name": "Ravi"},
        "dueBy": "2024-03-05T07:00:00.000Z",
    }


def test_unknown_from_and_assignee_are_empty_objects_like_symbl(client, ws, auth):
    conv = factories.conversation(ws, members=1, messages=1)
    Insight.objects.create(
        conversation=conv, external_id="q1", type=InsightType.QUESTION, text="Who owns this?"
    )
    (got,) = listing(client, conv, auth, "question_list")["questions"]
    assert (got["from"], got["assignee"], got["messageIds"]) == ({}, {}, [])
    assert (got["score"], got["definitive"], got["dueBy"]) == (None, None, None)


def test_insights_are_paged(client, ws, auth):
    conv = factories.conversation(ws, members=2, messages=6, insights=6)
    page = listing(client, conv, auth, "insight_list", limit=2, offset=4)
    assert [i["text"] for i in page["insights"]] == ["insight 4", "insight 5"]
    assert (page["limit"], page["offset"], page["total"]) == (2, 4, 6)


@pytest.mark.parametrize("name", ["insight_list", *TYPED])
def test_insights_query_count_does_not_grow_with_insights(client, ws, auth, name):
    small = factories.conversation(ws, members=2, messages=6, insights=3)
    large = factories.conversation(ws, members=5, messages=200, insights=150)
    client.get(reverse(f"api:{name}", args=[small.pk]), **auth)  # records the key's use
    few = count_queries(client, reverse(f"api:{name}", args=[small.pk]), **auth)
    many = count_queries(client, reverse(f"api:{name}", args=[large.pk]), **auth)
    assert len(many) == len(few), many.sql()
    assert len(few) <= 6, few.sql()
