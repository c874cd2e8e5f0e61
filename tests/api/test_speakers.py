"""Speaker operations over the API: merge, split and reassign, with the replies' shapes,
refused operations (``invalid_operation``) and validation errors naming the field."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from diarization_portal.conversations.models import (
    Insight,
    Member,
    Message,
    SpeakerEdit,
)
from diarization_portal.conversations.services import speakers
from tests import factories
from tests.api.conftest import bearer, ids_of, post, speaker

pytestmark = pytest.mark.django_db


@pytest.fixture
def auth(people):
    return bearer(people["editor"])


# -- merge ------------------------------------------------------------------------------------


def test_merge_moves_messages_and_insights_to_the_target_which_keeps_its_id(client, conv, auth):
    source, target = speaker(conv, 2), speaker(conv, 1)
    said = Message.objects.filter(member=source).count()
    response = post(
        client, "member_merge", [conv.pk, source.uuid], {"targetId": str(target.uuid)}, auth
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["members"] == [{"id": str(target.uuid), "name": "Speaker 1"}]
    edit = body["edit"]
    assert edit["op"] == "merge" and edit["user"] == "editor-user"
    assert edit["undoable"] is True and edit["blockedBy"] == [] and edit["undoneAt"] is None
    assert edit["summary"] == f"Merged Speaker 2 into Speaker 1: {said} messages"
    assert not Message.objects.filter(member=source).exists()
    assert not Insight.objects.filter(from_member=source).exists()
    assert not Insight.objects.filter(assignee=source).exists()
    source.refresh_from_db()
    assert source.merged_into_id == target.pk
    # The merged member is gone from the Symbl-shaped endpoints.
    listed = client.get(reverse("api:member_list", args=[conv.pk]), **auth).json()["members"]
    assert str(source.uuid) not in {m["id"] for m in listed}


@pytest.mark.parametrize(
    "body, loc",
    [
        ({}, ["body", "targetId"]),
        ({"targetId": "not-a-uuid"}, ["body", "targetId"]),
        ({"targetId": str(uuid.uuid4())}, ["body", "targetId"]),
    ],
)
def test_merge_with_a_bad_target_is_400_naming_target_id(client, conv, auth, body, loc):
    source = speaker(conv, 2)
    response = post(client, "member_merge", [conv.pk, source.uuid], body, auth)
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
    assert response.json()["errors"][0]["loc"] == loc
    assert Message.objects.filter(member=source).exists()


def test_merge_into_a_member_of_another_conversation_is_400(client, ws, conv, auth):
    elsewhere = factories.conversation(ws, members=1, messages=1).members.get()
    source = speaker(conv, 2)
    response = post(
        client, "member_merge", [conv.pk, source.uuid], {"targetId": str(elsewhere.uuid)}, auth
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["loc"] == ["body", "targetId"]


def test_merge_into_itself_or_into_a_merged_member_is_invalid_operation(client, conv, auth):
    first, second, third = (speaker(conv, n) for n in (1, 2, 3))
    itself = post(
        client, "member_merge", [conv.pk, first.uuid], {"targetId": str(first.uuid)}, auth
    )
    assert itself.status_code == 400
    assert itself.json() == {
        "type": "invalid_operation",
        "message": "a speaker cannot be merged into itself",
        "errors": [],
    }
    speakers.member_merge(source=third, target=first)
    into_merged = post(
        client, "member_merge", [conv.pk, second.uuid], {"targetId": str(third.uuid)}, auth
    )
    assert into_merged.status_code == 400
    assert into_merged.json()["type"] == "invalid_operation"
    assert "merged into another speaker" in into_merged.json()["message"]


def test_merging_a_member_already_merged_is_404_like_symbl(client, conv, auth):
    first, third = speaker(conv, 1), speaker(conv, 3)
    speakers.member_merge(source=third, target=first)
    response = post(
        client, "member_merge", [conv.pk, third.uuid], {"targetId": str(first.uuid)}, auth
    )
    assert response.status_code == 404
    assert response.json()["message"] == "No such member in this conversation"


# -- split ------------------------------------------------------------------------------------


def test_split_creates_a_member_for_the_chosen_messages(client, conv, auth):
    chosen = list(Message.objects.filter(member=speaker(conv, 1)).order_by("start")[:2])
    response = post(
        client, "messages_split", [conv.pk], {"messageIds": ids_of(chosen), "name": "Ravi"}, auth
    )
    assert response.status_code == 201, response.content
    body = response.json()
    new = Member.objects.get(conversation=conv, name="Ravi")
    assert body["member"] == {"id": str(new.uuid), "name": "Ravi"}
    assert body["members"] == [
        {"id": str(speaker(conv, 1).uuid), "name": "Speaker 1"},
        {"id": str(new.uuid), "name": "Ravi"},
    ]
    assert body["edit"]["op"] == "split"
    assert set(Message.objects.filter(member=new).values_list("pk", flat=True)) == {
        m.pk for m in chosen
    }


def test_split_accepts_integer_ids_too(client, conv, auth):
    chosen = Message.objects.filter(conversation=conv).order_by("start").first()
    response = post(
        client, "messages_split", [conv.pk], {"messageIds": [chosen.pk], "name": "X"}, auth
    )
    assert response.status_code == 201
    chosen.refresh_from_db()
    assert chosen.member.name == "X"


@pytest.mark.parametrize(
    "body, loc",
    [
        ({"name": "Ravi"}, ["body", "messageIds"]),
        ({"messageIds": [], "name": "Ravi"}, ["body", "messageIds"]),
        ({"messageIds": ["12a"], "name": "Ravi"}, ["body", "messageIds", 0]),
        ({"messageIds": [True], "name": "Ravi"}, ["body", "messageIds", 0]),
        ({"messageIds": ["0"], "name": "Ravi"}, ["body", "messageIds", 0]),
        ({"messageIds": ["99999999999999999999"], "name": "Ravi"}, ["body", "messageIds", 0]),
        ({"messageIds": ["MINE"], "name": "  "}, ["body", "name"]),
        ({"messageIds": ["MINE"]}, ["body", "name"]),
        ({"messageIds": ["MINE"], "name": "x" * 201}, ["body", "name"]),
    ],
)
def test_split_validation_errors_name_the_field(client, conv, auth, body, loc):
    mine = str(Message.objects.filter(conversation=conv).first().pk)
    body = {
        k: [mine if v == "MINE" else v for v in vs] if k == "messageIds" else vs
        for k, vs in body.items()
    }
    response = post(client, "messages_split", [conv.pk], body, auth)
    assert response.status_code == 400, response.content
    assert response.json()["type"] == "validation_error"
    assert loc in [e["loc"] for e in response.json()["errors"]]
    assert conv.members.count() == 3


def test_split_of_messages_of_another_conversation_names_their_index(client, ws, conv, auth):
    other = factories.conversation(ws, members=1, messages=2)
    mine = Message.objects.filter(conversation=conv).first()
    theirs = Message.objects.filter(conversation=other).first()
    response = post(
        client,
        "messages_split",
        [conv.pk],
        {"messageIds": [str(mine.pk), str(theirs.pk)], "name": "Ravi"},
        auth,
    )
    assert response.status_code == 400
    body = response.json()
    assert body["errors"] == [
        {"loc": ["body", "messageIds", 1], "msg": "no message with this id in this conversation"}
    ]
    assert body["message"].startswith("Invalid body.messageIds.1:")
    assert not Member.objects.filter(name="Ravi").exists()
    theirs.refresh_from_db()
    assert theirs.conversation_id == other.pk


# -- reassign ---------------------------------------------------------------------------------


def test_reassign_gives_messages_to_the_member_and_lists_who_changed(client, conv, auth):
    first, second = speaker(conv, 1), speaker(conv, 2)
    chosen = list(Message.objects.filter(member=first)[:2])
    response = post(
        client,
        "messages_reassign",
        [conv.pk],
        {"messageIds": ids_of(chosen), "memberId": str(second.uuid)},
        auth,
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["edit"]["op"] == "reassign"
    assert body["edit"]["summary"] == "Reassigned 2 messages to Speaker 2"
    assert [m["id"] for m in body["members"]] == [str(first.uuid), str(second.uuid)]
    assert all(
        m.member_id == second.pk for m in Message.objects.filter(pk__in=[c.pk for c in chosen])
    )
    # The Symbl-shaped messages show the new speaker.
    listed = client.get(reverse("api:message_list", args=[conv.pk]), **auth).json()["messages"]
    assert {m["from"]["name"] for m in listed if m["id"] in ids_of(chosen)} == {"Speaker 2"}


def test_reassign_to_the_member_who_already_says_them_is_invalid_operation(client, conv, auth):
    first = speaker(conv, 1)
    chosen = Message.objects.filter(member=first)[:1]
    response = post(
        client,
        "messages_reassign",
        [conv.pk],
        {"messageIds": ids_of(chosen), "memberId": str(first.uuid)},
        auth,
    )
    assert response.status_code == 400
    assert response.json()["type"] == "invalid_operation"
    assert response.json()["message"] == "Speaker 1 already says every chosen message"
    assert not SpeakerEdit.objects.exists()


@pytest.mark.parametrize(
    "member_id", [None, "nope", str(uuid.uuid4())], ids=["missing", "malformed", "unknown"]
)
def test_reassign_with_a_bad_member_names_member_id(client, conv, auth, member_id):
    body = {"messageIds": ids_of(Message.objects.filter(conversation=conv)[:1])}
    if member_id is not None:
        body["memberId"] = member_id
    response = post(client, "messages_reassign", [conv.pk], body, auth)
    assert response.status_code == 400
    assert response.json()["errors"][0]["loc"] == ["body", "memberId"]


def test_a_json_list_body_is_a_body_error(client, conv, auth):
    response = post(client, "messages_reassign", [conv.pk], [1, 2], auth)
    assert response.status_code == 400
    assert response.json()["errors"][0]["loc"] == ["body"]


def test_a_form_body_is_415(client, conv, auth):
    response = client.post(
        reverse("api:messages_reassign", args=[conv.pk]), {"memberId": "x"}, **auth
    )
    assert response.status_code == 415
    assert response.json()["type"] == "unsupported_media_type"
