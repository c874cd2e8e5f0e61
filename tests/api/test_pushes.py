"""A member's push to the vendor over the API: its state (merged members included), a retry
of a failed push by editors (pending, and the push task enqueued after commit), 409 for a
push that did not fail, 403 for readers, 404 across conversations and workspaces; and Symbl's
member shape left as it is."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from diarization_portal.conversations.models import Member, SyncState
from diarization_portal.conversations.services import speakers
from tests import factories
from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db

TASKS = "diarization_portal.sync.tasks"
REFUSED = "Only Symbl members can be renamed"


@pytest.fixture
def conv(ws):
    conv = factories.conversation(ws, members=3, messages=6)
    conv.vendor, conv.external_id = "symbl", "5120334411530240"
    conv.save()
    return conv


@pytest.fixture
def failed(conv) -> Member:
    member = conv.members.order_by("position").first()
    member.sync_state, member.sync_error = SyncState.FAILED, f"http_403: {REFUSED}"
    member.save()
    return member


def url(member: Member, conv=None) -> str:
    return reverse("api:member_push", args=[(conv or member.conversation).pk, member.uuid])


def sync_of(member: Member) -> tuple[str, str]:
    member.refresh_from_db()
    return member.sync_state, member.sync_error


def test_the_push_state_of_a_member(client, conv, failed, people):
    auth = bearer(people["viewer"])
    response = client.get(url(failed), **auth)
    assert response.status_code == 200
    assert response.json() == {
        "id": str(failed.uuid),
        "name": failed.name,
        "mergedInto": None,
        "syncState": "failed",
        "syncError": f"http_403: {REFUSED}",
    }
    local = conv.members.order_by("position").last()
    local.email = "ana@example.com"
    local.save()
    body = client.get(url(local), **auth).json()
    assert (body["email"], body["syncState"], body["syncError"]) == ("ana@example.com", "local", "")


def test_symbls_member_shape_does_not_carry_the_push_state(client, conv, failed, people):
    auth = bearer(people["viewer"])
    members = client.get(reverse("api:member_list", args=[conv.pk]), **auth).json()["members"]
    assert {key for member in members for key in member} == {"id", "name"}
    conversation = client.get(reverse("api:conversation_detail", args=[conv.pk]), **auth).json()
    assert {key for member in conversation["members"] for key in member} == {"id", "name"}


def test_an_editor_pushes_a_failed_member_again(
    client, failed, people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(url(failed), **bearer(people["editor"]))
    assert response.status_code == 200, response.content
    assert (response.json()["syncState"], response.json()["syncError"]) == ("pending", "")
    assert sync_of(failed) == ("pending", "")
    assert [c.args for c in callbacks] == [(f"{TASKS}.push_member", failed.pk)]


def test_a_merged_member_whose_push_failed_is_found_and_pushed_again(
    client, conv, people, django_capture_on_commit_callbacks
):
    source, target = conv.members.order_by("position")[:2]
    speakers.member_merge(source=source, target=target)
    Member.objects.filter(pk=source.pk).update(sync_state=SyncState.FAILED, sync_error="timeout")
    auth = bearer(people["admin"])
    body = client.get(url(source), **auth).json()
    assert (body["mergedInto"], body["syncState"]) == (str(target.uuid), "failed")
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(url(source), **auth)
    assert response.status_code == 200
    assert response.json()["mergedInto"] == str(target.uuid)
    assert [c.args for c in callbacks] == [(f"{TASKS}.push_member", source.pk)]
    # The merged member is still gone from Symbl's member list.
    listed = client.get(reverse("api:member_list", args=[conv.pk]), **auth).json()["members"]
    assert str(source.uuid) not in {m["id"] for m in listed}


@pytest.mark.parametrize("state", [SyncState.LOCAL, SyncState.PENDING, SyncState.SYNCED])
def test_a_push_that_did_not_fail_is_a_409(
    client, conv, people, state, django_capture_on_commit_callbacks
):
    member = conv.members.first()
    Member.objects.filter(pk=member.pk).update(sync_state=state)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(url(member), **bearer(people["editor"]))
    assert response.status_code == 409
    body = response.json()
    assert body["type"] == "conflict"
    assert body["message"] == (
        "Cannot push this member again: only a failed push can be retried; "
        f"this speaker is {state}."
    )
    assert sync_of(member) == (state, "") and callbacks == []


@pytest.mark.parametrize("role", ["viewer", "commenter"])
def test_readers_see_the_state_but_cannot_push(client, failed, people, role):
    auth = bearer(people[role])
    assert client.get(url(failed), **auth).status_code == 200
    response = client.post(url(failed), **auth)
    assert response.status_code == 403 and response.json()["type"] == "permission_denied"
    assert sync_of(failed) == ("failed", f"http_403: {REFUSED}")


def test_a_member_of_another_conversation_or_workspace_is_404(client, ws, conv, failed, people):
    other = factories.conversation(ws, members=1, messages=1)
    auth = bearer(people["editor"])
    unknown = Member(uuid=uuid.uuid4(), conversation=conv)
    for target in (url(failed, conv=other), url(unknown)):
        stranger = client.post(target, **auth)
        assert stranger.status_code == 404
        assert stranger.json()["message"] == "No such member in this conversation"
    outsider = bearer(people["outsider"])
    for method in ("get", "post", "put", "delete"):
        theirs = getattr(client, method)(url(failed), **outsider)
        assert theirs.status_code == 404, method
        assert theirs.json()["message"] == "No such conversation"
    # A member of the caller's conversation answers 405 to a verb the path lacks.
    assert client.delete(url(failed), **auth).status_code == 405
    assert sync_of(failed) == ("failed", f"http_403: {REFUSED}")
