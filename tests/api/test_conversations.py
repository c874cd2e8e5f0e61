"""``GET /conversations`` (filters, order, pages), ``GET /conversations/{id}`` and
``DELETE /conversations/{id}``."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from diarization_portal.conversations.models import (
    Conversation,
    Insight,
    Job,
    JobKind,
    Member,
    Message,
    SpeakerEdit,
)
from diarization_portal.conversations.services.speakers import member_merge, member_rename
from diarization_portal.workspaces.models import Membership, Role
from tests import factories
from tests.api.conftest import bearer, count_queries

pytestmark = pytest.mark.django_db

LIST = "/api/v1/conversations"


def dated(ws, title: str, started: datetime | None, created: datetime | None = None):
    conv = factories.conversation(ws, members=2, messages=3, title=title)
    Conversation.objects.filter(pk=conv.pk).update(
        started_at=started, created_at=created or datetime(2024, 1, 1, tzinfo=UTC)
    )
    return conv


@pytest.fixture
def auth(people):
    return bearer(people["viewer"])


@pytest.fixture
def three(ws):
    """Three conversations: January (started), March (started), and one whose start is
    unknown but that was imported in February."""
    return {
        "jan": dated(ws, "Kick-off", datetime(2024, 1, 10, 9, 0, tzinfo=UTC)),
        "mar": dated(ws, "Weekly sync", datetime(2024, 3, 4, 10, 0, 1, 120000, tzinfo=UTC)),
        "feb": dated(ws, "weekly retro", None, datetime(2024, 2, 1, 12, 0, tzinfo=UTC)),
    }


def names(client, auth, **query) -> list[str]:
    response = client.get(LIST, query, **auth)
    assert response.status_code == 200, response.content
    return [c["name"] for c in response.json()["conversations"]]


def test_list_is_newest_first_by_start_or_import_time(client, auth, three):
    assert names(client, auth) == ["Weekly sync", "weekly retro", "Kick-off"]
    assert names(client, auth, order="asc") == ["Kick-off", "weekly retro", "Weekly sync"]


def test_list_filters_by_name_any_case(client, auth, three):
    assert names(client, auth, name="WEEKLY") == ["Weekly sync", "weekly retro"]
    assert names(client, auth, name="nothing like it") == []


def test_list_filters_by_date_range(client, auth, three):
    assert names(client, auth, startTime="2024-02-01T00:00:00Z") == ["Weekly sync", "weekly retro"]
    assert names(client, auth, endTime="2024-02-01T11:00:00Z") == ["Kick-off"]
    assert names(
        client, auth, startTime="2024-01-15T00:00:00Z", endTime="2024-03-01T00:00:00+01:00"
    ) == ["weekly retro"]


def test_list_filters_by_workspace_and_spans_the_users_workspaces(client, ws, people, three):
    second = factories.workspace("Second")
    Membership.objects.create(user=people["viewer"], workspace=second, role=Role.VIEWER)
    dated(second, "Elsewhere", datetime(2024, 5, 1, tzinfo=UTC))
    auth = bearer(people["viewer"])
    assert names(client, auth)[0] == "Elsewhere"
    assert names(client, auth, workspace=second.slug) == ["Elsewhere"]
    assert "Elsewhere" not in names(client, auth, workspace=ws.slug)
    body = client.get(LIST, {"workspace": second.slug}, **auth).json()["conversations"][0]
    assert body["workspace"] == second.slug


@pytest.mark.parametrize(
    ("query", "loc"),
    [
        ({"startTime": "last tuesday"}, ["query", "startTime"]),
        ({"endTime": "2024-13-01"}, ["query", "endTime"]),
        (
            {"startTime": "2024-03-01T00:00:00Z", "endTime": "2024-01-01T00:00:00Z"},
            ["query", "endTime"],
        ),
        ({"order": "sideways"}, ["query", "order"]),
        ({"limit": "0"}, ["query", "limit"]),
    ],
)
def test_bad_filters_are_400_naming_the_parameter(client, auth, query, loc):
    response = client.get(LIST, query, **auth)
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
    assert [e["loc"] for e in response.json()["errors"]] == [loc]


def test_a_conversation_has_symbls_fields_and_its_live_members(client, ws, people, auth):
    conv = dated(ws, "Weekly sync", datetime(2024, 3, 4, 10, 0, 1, 120000, tzinfo=UTC))
    Message.objects.filter(conversation=conv).update(end=2496.78)
    first, second = conv.members.order_by("position")
    member_rename(member=first, name="Ana Ruiz", email="ana@example.com", user=people["editor"])
    extra = Member.objects.create(conversation=conv, name="Speaker 3", position=5)
    member_merge(source=extra, target=second, user=people["editor"])
    response = client.get(reverse("api:conversation_detail", args=[conv.pk]), **auth)
    assert response.status_code == 200
    assert response.json() == {
        "id": str(conv.pk),
        "type": "meeting",
        "name": "Weekly sync",
        "startTime": "2024-03-04T10:00:01.120Z",
        "endTime": "2024-03-04T10:41:37.900Z",
        "members": [
            {"id": str(first.uuid), "name": "Ana Ruiz", "email": "ana@example.com"},
            {"id": str(second.uuid), "name": "Speaker 2"},
        ],
        "workspace": ws.slug,
        "vendor": "file",
        "externalId": "",
        "language": "",
        "duration": 2496.78,
        "createdAt": "2024-01-01T00:00:00.000Z",
        "role": "viewer",
        "access_source": "workspace_member",
    }
    listed = client.get(LIST, **auth).json()["conversations"]
    assert listed == [response.json()]


def test_the_list_is_paged(client, ws, auth):
    for day in range(1, 8):
        dated(ws, f"Day {day}", datetime(2024, 4, day, tzinfo=UTC))
    page = client.get(LIST, {"limit": 3, "offset": 2}, **auth).json()
    assert [c["name"] for c in page["conversations"]] == ["Day 5", "Day 4", "Day 3"]
    assert (page["limit"], page["offset"], page["total"]) == (3, 2, 7)
    assert client.get(LIST, **auth).json()["limit"] == 20


def test_list_query_count_does_not_grow_with_conversations(client, ws, auth):
    factories.conversation(ws, members=2, messages=5)
    client.get(LIST, **auth)  # records the key's use
    few = count_queries(client, LIST, **auth)
    for _ in range(15):
        factories.conversation(ws, members=4, messages=40, insights=5)
    many = count_queries(client, LIST, **auth)
    assert len(many) == len(few), many.sql()
    assert len(few) <= 4, few.sql()


def test_detail_query_count_does_not_grow_with_members_or_messages(client, ws, auth):
    small = factories.conversation(ws, members=2, messages=5)
    large = factories.conversation(ws, members=20, messages=500, insights=30)

    def url(conv):
        return reverse("api:conversation_detail", args=[conv.pk])

    client.get(url(small), **auth)
    few = count_queries(client, url(small), **auth)
    many = count_queries(client, url(large), **auth)
    assert len(many) == len(few), many.sql()


def test_delete_removes_the_conversation_and_everything_in_it(
    client, ws, people, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    conv = factories.conversation(ws, members=3, messages=30, insights=6)
    keep = factories.conversation(ws, members=2, messages=5, insights=2)
    first, second, third = conv.members.order_by("position")
    member_merge(source=third, target=first, user=people["editor"])
    member_rename(member=second, name="Ravi", user=people["editor"])
    job = Job.objects.create(conversation=conv, kind=JobKind.PROCESS)
    job.media.save("call.wav", ContentFile(b"RIFF...."), save=True)
    stored = job.media.name
    assert default_storage.exists(stored)
    url = reverse("api:conversation_detail", args=[conv.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(url, **bearer(people["editor"]))
    assert response.status_code == 200
    assert response.json() == {"message": "successfully deleted the conversation"}
    for model in (Conversation, Member, Message, Insight, SpeakerEdit, Job):
        field = "pk" if model is Conversation else "conversation_id"
        assert not model.objects.filter(**{field: conv.pk}).exists(), model
    assert not default_storage.exists(stored)
    assert Message.objects.filter(conversation=keep).count() == 5
    again = client.delete(url, **bearer(people["editor"]))
    assert again.status_code == 404
