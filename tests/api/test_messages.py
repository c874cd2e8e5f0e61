"""``GET /conversations/{id}/messages``: Symbl's message shape, clock times, order, pages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from diarization_portal.conversations.models import Conversation, Member, Message
from diarization_portal.conversations.services.speakers import messages_reassign
from tests import factories
from tests.api.conftest import bearer, count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def auth(people):
    return bearer(people["viewer"])


def messages_of(client, conv, auth, **query) -> dict:
    response = client.get(reverse("api:message_list", args=[conv.pk]), query, **auth)
    assert response.status_code == 200, response.content
    return response.json()


def test_messages_have_symbls_shape_and_clock_times(client, ws, auth):
    conv = Conversation.objects.create(
        workspace=ws, title="Weekly sync", started_at=datetime(2024, 3, 4, 10, 0, 1, 120000, UTC)
    )
    ana = Member.objects.create(conversation=conv, name="Ana", email="ana@example.com")
    said = Message.objects.create(
        conversation=conv,
        external_id="x1",
        member=ana,
        diarized_member=ana,
        text="Let's ship on Friday.",
        start=191.38,
        end=192.98,
    )
    body = messages_of(client, conv, auth)
    assert body == {
        "messages": [
            {
                "id": str(said.pk),
                "text": "Let's ship on Friday.",
                "from": {"id": str(ana.uuid), "name": "Ana", "email": "ana@example.com"},
                "startTime": "2024-03-04T10:03:12.500Z",
                "endTime": "2024-03-04T10:03:14.100Z",
                "timeOffset": 191.38,
                "duration": 1.6,
                "conversationId": str(conv.pk),
            }
        ],
        "limit": 1000,
        "offset": 0,
        "total": 1,
    }


def test_without_a_known_start_clock_times_count_from_the_import_time(client, ws, auth):
    conv = factories.conversation(ws, members=1, messages=2)
    Conversation.objects.filter(pk=conv.pk).update(
        created_at=datetime(2025, 1, 2, 9, 30, 0, 250000, UTC)
    )
    assert conv.started_at is None
    second = messages_of(client, conv, auth)["messages"][1]
    assert (second["timeOffset"], second["duration"]) == (2.0, 1.8)
    assert (second["startTime"], second["endTime"]) == (
        "2025-01-02T09:30:02.250Z",
        "2025-01-02T09:30:04.050Z",
    )


def test_messages_come_in_time_order_and_follow_reassignment(client, ws, auth, people):
    conv = factories.conversation(ws, members=2, messages=6)
    Message.objects.filter(conversation=conv, external_id="m0").update(start=100.0, end=101.0)
    ids = [m["id"] for m in messages_of(client, conv, auth)["messages"]]
    times = [m["timeOffset"] for m in messages_of(client, conv, auth)["messages"]]
    assert times == sorted(times) and times[-1] == 100.0
    target = conv.members.get(name="Speaker 2")
    moved = Message.objects.get(conversation=conv, external_id="m1")
    messages_reassign(messages=[moved.pk], member=target, user=people["editor"])
    after = {m["id"]: m["from"]["name"] for m in messages_of(client, conv, auth)["messages"]}
    assert after[str(moved.pk)] == "Speaker 2"
    assert list(after) == ids


def test_messages_are_paged_with_limit_and_offset(client, ws, auth):
    conv = factories.conversation(ws, members=2, messages=7)
    every = [m["id"] for m in messages_of(client, conv, auth)["messages"]]
    page = messages_of(client, conv, auth, limit=3, offset=3)
    assert [m["id"] for m in page["messages"]] == every[3:6]
    assert (page["limit"], page["offset"], page["total"]) == (3, 3, 7)
    assert messages_of(client, conv, auth, offset=50)["messages"] == []


def test_messages_query_count_does_not_grow_with_messages(client, ws, auth):
    small = factories.conversation(ws, members=2, messages=5)
    large = factories.conversation(ws, members=6, messages=600)

    def url(conv):
        return reverse("api:message_list", args=[conv.pk])

    client.get(url(small), **auth)  # records the key's use
    few = count_queries(client, url(small), **auth)
    many = count_queries(client, url(large), **auth)
    assert len(many) == len(few), many.sql()
    assert len(few) <= 5, few.sql()
