"""The speaker edit history over the API (newest first, who, when, undoable and what blocks
an undo, on any page) and undo (the reply, 409 with the blocking edits, 404 for edits of other
conversations), with the history's query count."""

from __future__ import annotations

import pytest
from django.urls import reverse

from diarization_portal.conversations.models import (
    EditOp,
    Member,
    Message,
    SpeakerEdit,
)
from diarization_portal.conversations.services import speakers
from tests import factories
from tests.api.conftest import bearer, count_queries, post, speaker

pytestmark = pytest.mark.django_db


@pytest.fixture
def auth(people):
    return bearer(people["editor"])


# -- history and undo -------------------------------------------------------------------------


def test_edits_are_listed_newest_first_with_undo_state(client, conv, auth, people):
    first, second, third = (speaker(conv, n) for n in (1, 2, 3))
    rename = speakers.member_rename(member=third, name="Lucy", user=people["admin"])
    merge = speakers.member_merge(source=second, target=first, user=people["editor"])
    reassign = speakers.messages_reassign(
        messages=list(Message.objects.filter(member=first)[:1]), member=third
    )
    speakers.edit_undo(edit=reassign, user=people["editor"])
    response = client.get(reverse("api:edit_list", args=[conv.pk]), **bearer(people["viewer"]))
    assert response.status_code == 200
    body = response.json()
    assert (body["total"], body["limit"], body["offset"]) == (3, 50, 0)
    got = {e["id"]: e for e in body["edits"]}
    assert [e["id"] for e in body["edits"]] == [str(reassign.pk), str(merge.pk), str(rename.pk)]
    undone = got[str(reassign.pk)]
    assert undone["undoneAt"] and undone["undoneBy"] == "editor-user" and undone["user"] is None
    assert undone["undoable"] is False and undone["blockedBy"] == []
    assert got[str(merge.pk)]["undoable"] is True
    assert got[str(rename.pk)] == {
        "id": str(rename.pk),
        "op": "rename",
        "summary": "Renamed Speaker 3 to Lucy",
        "user": "admin-user",
        "createdAt": got[str(rename.pk)]["createdAt"],
        "undoneAt": None,
        "undoneBy": None,
        "undoable": True,
        "blockedBy": [],
    }
    assert got[str(rename.pk)]["createdAt"].endswith("Z")


def test_an_edit_blocked_by_later_edits_names_them_even_on_a_later_page(client, conv, auth):
    first, second = speaker(conv, 1), speaker(conv, 2)
    rename = speakers.member_rename(member=second, name="Ana")
    merge = speakers.member_merge(source=second, target=first)
    rename_first = speakers.member_rename(member=first, name="Ben")
    url = reverse("api:edit_list", args=[conv.pk])
    oldest = client.get(url, {"offset": 2, "limit": 1}, **auth).json()["edits"]
    assert oldest[0]["id"] == str(rename.pk)
    assert oldest[0]["undoable"] is False
    assert oldest[0]["blockedBy"] == [str(merge.pk)]
    middle = client.get(url, {"offset": 1, "limit": 1}, **auth).json()["edits"][0]
    assert middle["blockedBy"] == [str(rename_first.pk)]


def test_undo_restores_and_replies_with_the_members_it_changed(client, conv, auth):
    first, second = speaker(conv, 1), speaker(conv, 2)
    said = set(Message.objects.filter(member=second).values_list("pk", flat=True))
    merge = speakers.member_merge(source=second, target=first)
    response = post(client, "edit_undo", [conv.pk, merge.pk], None, auth)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["edit"]["id"] == str(merge.pk)
    assert body["edit"]["undoneBy"] == "editor-user" and body["edit"]["undoable"] is False
    assert [m["id"] for m in body["members"]] == [str(first.uuid), str(second.uuid)]
    assert set(Message.objects.filter(member=second).values_list("pk", flat=True)) == said
    again = post(client, "edit_undo", [conv.pk, merge.pk], None, auth)
    assert again.status_code == 400
    assert again.json()["type"] == "invalid_operation"
    assert again.json()["message"] == "this edit was already undone"


def test_undoing_a_split_removes_the_new_member(client, conv, auth):
    chosen = Message.objects.filter(conversation=conv)[:2]
    edit, new = speakers.messages_split(conversation=conv, messages=list(chosen), name="Ravi")
    response = post(client, "edit_undo", [conv.pk, edit.pk], {}, auth)
    assert response.status_code == 200
    assert str(new.uuid) not in {m["id"] for m in response.json()["members"]}
    assert not Member.objects.filter(pk=new.pk).exists()


def test_undo_blocked_by_a_later_edit_is_409_listing_it(client, conv, auth):
    first, second = speaker(conv, 1), speaker(conv, 2)
    rename = speakers.member_rename(member=second, name="Ana")
    merge = speakers.member_merge(source=second, target=first)
    response = post(client, "edit_undo", [conv.pk, rename.pk], None, auth)
    assert response.status_code == 409
    body = response.json()
    assert body["type"] == "conflict"
    assert body["message"] == f"Undo “{merge.summary}” first"
    assert body["errors"] == []
    assert [e["id"] for e in body["blockingEdits"]] == [str(merge.pk)]
    assert body["blockingEdits"][0]["op"] == EditOp.MERGE
    assert body["blockingEdits"][0]["undoable"] is True
    second.refresh_from_db()
    assert second.name == "Ana" and second.merged_into_id == first.pk


def test_undo_of_an_edit_of_another_conversation_is_404(client, ws, conv, auth):
    other = factories.conversation(ws, members=2, messages=4)
    edit = speakers.member_rename(member=other.members.first(), name="Zed")
    for edit_id in (edit.pk, 10**9, 2**63):
        response = post(client, "edit_undo", [conv.pk, edit_id], None, auth)
        assert response.status_code == 404, edit_id
        assert response.json()["message"] == "No such edit in this conversation"
    edit.refresh_from_db()
    assert edit.undone_at is None


def test_edits_query_count_does_not_grow_with_edits_or_messages(client, ws, auth, people):
    def history(messages: int, edits: int):
        conv = factories.conversation(ws, members=4, messages=messages)
        members = list(conv.members.order_by("position"))
        for n in range(edits):
            member = members[n % 4]
            speakers.member_rename(member=member, name=f"Name {n}", user=people["editor"])
            moved = Message.objects.filter(conversation=conv).exclude(member=member)[:3]
            speakers.messages_reassign(messages=list(moved), member=member, user=people["admin"])
        speakers.edit_undo(edit=SpeakerEdit.objects.filter(conversation=conv).first())
        return reverse("api:edit_list", args=[conv.pk])

    small, large = history(6, 1), history(400, 12)
    client.get(small, **auth)  # records the key's use
    few = count_queries(client, small, **auth)
    many = count_queries(client, large, **auth)
    assert len(many) == len(few), many.sql()
    assert len(few) <= 7, few.sql()
    later_page = count_queries(client, f"{large}?offset=5&limit=5", **auth)
    assert len(later_page) == len(few), later_page.sql()
