"""``GET /conversations/{id}/members`` and Symbl's ``PUT /conversations/{id}/members/{memberId}``:
rename everywhere, merge by email into the member that keeps its id, Symbl's reply."""

from __future__ import annotations

import pytest
from django.urls import reverse

from diarization_portal.conversations.models import EditOp, Insight, Member, SpeakerEdit
from tests import factories
from tests.api.conftest import bearer, count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def auth(people):
    return bearer(people["editor"])


def put(client, conv, member, body, auth, **extra):
    return client.put(
        reverse("api:member_detail", args=[conv.pk, member.uuid]),
        body,
        content_type=extra.pop("content_type", "application/json"),
        **auth,
        **extra,
    )


def reply_for(member, conv) -> dict:
    return {
        "message": f"Member with id: {member.uuid} for conversationId: {conv.pk} updated "
        "successfully! The update should be reflected in all messages and insights along with "
        "this conversation"
    }


def get_all(client, conv, auth, name: str, key: str) -> list[dict]:
    return client.get(reverse(f"api:{name}", args=[conv.pk]), **auth).json()[key]


def test_members_lists_live_members_in_order_with_email_only_when_set(client, conv, auth):
    first, second, third = conv.members.order_by("position")
    second.email = "ana@example.com"
    second.save()
    Member.objects.filter(pk=third.pk).update(merged_into=first)
    response = client.get(reverse("api:member_list", args=[conv.pk]), **auth)
    assert response.status_code == 200
    assert response.json() == {
        "members": [
            {"id": str(first.uuid), "name": "Speaker 1"},
            {"id": str(second.uuid), "name": "Speaker 2", "email": "ana@example.com"},
        ]
    }


def test_rename_reaches_every_message_and_insight(client, conv, auth, people):
    member = conv.members.get(name="Speaker 2")
    response = put(client, conv, member, {"id": str(member.uuid), "name": "Ana Ruiz"}, auth)
    assert response.status_code == 200
    assert response.json() == reply_for(member, conv)
    member.refresh_from_db()
    assert (member.name, member.name_locked) == ("Ana Ruiz", True)
    spoken = [m for m in get_all(client, conv, auth, "message_list", "messages")]
    theirs = [m for m in spoken if m["from"]["id"] == str(member.uuid)]
    assert theirs and all(m["from"]["name"] == "Ana Ruiz" for m in theirs)
    assert all(m["from"]["name"] != "Speaker 2" for m in spoken)
    insights = get_all(client, conv, auth, "insight_list", "insights")
    refs = [i["from"] for i in insights] + [i["assignee"] for i in insights]
    assert any(r["id"] == str(member.uuid) for r in refs)
    assert all(r["name"] == "Ana Ruiz" for r in refs if r["id"] == str(member.uuid))
    edit = SpeakerEdit.objects.get(conversation=conv)
    assert (edit.op, edit.user) == (EditOp.RENAME, people["editor"])


def test_an_email_of_nobody_else_is_set_on_the_member(client, conv, auth):
    member = conv.members.get(name="Speaker 1")
    body = {"id": str(member.uuid), "name": "Lucy", "email": "Lucy@Example.com"}
    assert put(client, conv, member, body, auth).status_code == 200
    members = get_all(client, conv, auth, "member_list", "members")
    assert {"id": str(member.uuid), "name": "Lucy", "email": "lucy@example.com"} in members
    # An empty email clears it; a missing or null email leaves it.
    put(client, conv, member, {"id": str(member.uuid), "name": "Lucy R", "email": None}, auth)
    member.refresh_from_db()
    assert (member.name, member.email) == ("Lucy R", "lucy@example.com")
    put(client, conv, member, {"id": str(member.uuid), "name": "Lucy R", "email": ""}, auth)
    member.refresh_from_db()
    assert member.email == ""


def test_email_of_another_member_merges_into_it_and_it_keeps_its_id(client, conv, auth):
    survivor = conv.members.get(name="Speaker 1")
    survivor.email, survivor.name = "ana@example.com", "Ana Ruiz"
    survivor.save()
    duplicate = conv.members.get(name="Speaker 2")
    moved_messages = set(duplicate.messages.values_list("pk", flat=True))
    moved_from = set(Insight.objects.filter(from_member=duplicate).values_list("pk", flat=True))
    moved_to = set(Insight.objects.filter(assignee=duplicate).values_list("pk", flat=True))
    assert moved_messages and moved_from and moved_to
    body = {"id": str(duplicate.uuid), "name": "Ana R.", "email": "ANA@example.com"}
    response = put(client, conv, duplicate, body, auth)
    assert response.status_code == 200
    assert response.json() == reply_for(duplicate, conv)
    # The survivor keeps its id, name and email; the duplicate is gone from the members.
    members = get_all(client, conv, auth, "member_list", "members")
    assert {"id": str(survivor.uuid), "name": "Ana Ruiz", "email": "ana@example.com"} in members
    assert str(duplicate.uuid) not in {m["id"] for m in members}
    # Its messages and insights now point at the survivor.
    messages = get_all(client, conv, auth, "message_list", "messages")
    for message in messages:
        if int(message["id"]) in moved_messages:
            assert message["from"]["id"] == str(survivor.uuid)
            assert message["from"]["name"] == "Ana Ruiz"
    insights = {int(i["id"]): i for i in get_all(client, conv, auth, "insight_list", "insights")}
    assert all(insights[pk]["from"]["id"] == str(survivor.uuid) for pk in moved_from)
    assert all(insights[pk]["from"]["userId"] == "ana@example.com" for pk in moved_from)
    assert all(insights[pk]["assignee"]["id"] == str(survivor.uuid) for pk in moved_to)
    assert SpeakerEdit.objects.get(conversation=conv).op == EditOp.MERGE
    # The merged member's id no longer exists.
    again = put(client, conv, duplicate, {"id": str(duplicate.uuid), "name": "X"}, auth)
    assert again.status_code == 404
    assert again.json()["type"] == "not_found"


def test_sending_what_the_member_has_changes_nothing_and_answers_200(client, conv, auth):
    member = conv.members.get(name="Speaker 1")
    response = put(client, conv, member, {"id": str(member.uuid), "name": "Speaker 1"}, auth)
    assert response.status_code == 200
    assert response.json() == reply_for(member, conv)
    assert not SpeakerEdit.objects.filter(conversation=conv).exists()


def test_the_body_id_must_be_the_member_of_the_path(client, conv, auth):
    member, other = conv.members.order_by("position")[:2]
    response = put(client, conv, member, {"id": str(other.uuid), "name": "X"}, auth)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"loc": ["body", "id"], "msg": "must be the member id of the path"}
    ]
    member.refresh_from_db()
    other.refresh_from_db()
    assert (member.name, other.name) == ("Speaker 1", "Speaker 2")


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"name": "X"}, ["body", "id"]),
        ({"id": "not-a-uuid", "name": "X"}, ["body", "id"]),
        ({"id": "MEMBER"}, ["body", "name"]),
        ({"id": "MEMBER", "name": "   "}, ["body", "name"]),
        ({"id": "MEMBER", "name": "x" * 201}, ["body", "name"]),
        ({"id": "MEMBER", "name": "X", "email": "not an email"}, ["body", "email"]),
    ],
)
def test_invalid_bodies_are_400_naming_the_field(client, conv, auth, body, loc):
    member = conv.members.first()
    body = {k: str(member.uuid) if v == "MEMBER" else v for k, v in body.items()}
    response = put(client, conv, member, body, auth)
    assert response.status_code == 400
    error = response.json()
    assert error["type"] == "validation_error"
    assert [e["loc"] for e in error["errors"]] == [loc]
    assert error["message"].startswith(f"Invalid {'.'.join(loc)}: ")
    member.refresh_from_db()
    assert member.name == "Speaker 1"


def test_malformed_json_and_other_media_types_are_refused(client, conv, auth):
    member = conv.members.first()
    broken = put(client, conv, member, '{"id": ', auth)
    assert broken.status_code == 400
    assert broken.json()["type"] == "parse_error"
    form = put(
        client, conv, member, "name=X", auth, content_type="application/x-www-form-urlencoded"
    )
    assert form.status_code == 415
    assert form.json()["type"] == "unsupported_media_type"


def test_members_query_count_does_not_grow_with_members(client, ws, people):
    auth = bearer(people["viewer"])
    small = factories.conversation(ws, members=2, messages=4)
    large = factories.conversation(ws, members=30, messages=300)
    client.get(reverse("api:member_list", args=[small.pk]), **auth)  # records the key's use
    few = count_queries(client, reverse("api:member_list", args=[small.pk]), **auth)
    many = count_queries(client, reverse("api:member_list", args=[large.pk]), **auth)
    assert len(many) == len(few), many.sql()
    assert len(few) <= 4, few.sql()
