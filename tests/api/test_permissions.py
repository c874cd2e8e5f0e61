"""Who may do what, by workspace role: admin, editor, commenter, viewer, a member of another
workspace (outsider) and an anonymous caller, against GET/PUT/DELETE on every endpoint."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.exceptions import PermissionDenied

from diarization_portal.api.access import require_admin
from diarization_portal.conversations.models import Conversation, Member
from diarization_portal.workspaces.models import Membership
from tests import factories
from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db

CALLERS = ("admin", "editor", "commenter", "viewer", "outsider", "anonymous")
EDITORS = {"admin", "editor"}
READERS = {"admin", "editor", "commenter", "viewer"}

# Endpoint → {verb: status for workspace members who may do it}; a verb the endpoint lacks is 405.
ENDPOINTS = {
    "conversation_detail": {"GET": 200, "DELETE": "edit"},
    "member_list": {"GET": 200},
    "member_detail": {"PUT": "edit"},
    "message_list": {"GET": 200},
    "insight_list": {"GET": 200},
    "action_item_list": {"GET": 200},
    "question_list": {"GET": 200},
    "follow_up_list": {"GET": 200},
}


def expected(caller: str, endpoint: str, verb: str) -> int:
    if caller == "anonymous":
        return 401
    if caller == "outsider":
        return 404
    rule = ENDPOINTS[endpoint].get(verb)
    if rule is None:
        return 405
    if rule == "edit":
        return 200 if caller in EDITORS else 403
    return rule


def url_for(endpoint: str, conv: Conversation, member: Member) -> str:
    args = [conv.pk, member.uuid] if endpoint == "member_detail" else [conv.pk]
    return reverse(f"api:{endpoint}", args=args)


def call(client, verb: str, url: str, headers: dict, member: Member):
    body = {"id": str(member.uuid), "name": "Ana Ruiz"}
    if verb == "GET":
        return client.get(url, **headers)
    if verb == "PUT":
        return client.put(url, body, content_type="application/json", **headers)
    return client.delete(url, **headers)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("verb", ["GET", "PUT", "DELETE"])
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_role_and_verb_matrix(client, ws, people, caller, verb, endpoint):
    conv = factories.conversation(ws, members=2, messages=6, insights=3)
    member = conv.members.first()
    headers = {} if caller == "anonymous" else bearer(people[caller])
    response = call(client, verb, url_for(endpoint, conv, member), headers, member)
    want = expected(caller, endpoint, verb)
    assert response.status_code == want, response.content
    body = response.json()
    if want >= 400:
        assert set(body) == {"type", "message", "errors"}
    # What a refused call would have changed is unchanged.
    deleted = verb == "DELETE" and endpoint == "conversation_detail" and want == 200
    assert Conversation.objects.filter(pk=conv.pk).exists() is not deleted
    renamed = verb == "PUT" and endpoint == "member_detail" and want == 200
    names = set(Member.objects.filter(pk=member.pk).values_list("name", flat=True))
    assert names == (set() if deleted else {"Ana Ruiz"} if renamed else {"Speaker 1"})


def test_the_list_shows_only_the_callers_workspaces(client, ws, people):
    mine = factories.conversation(ws, title="Ours")
    factories.conversation(factories.workspace("Theirs"), title="Theirs")
    response = client.get(reverse("api:conversation_list"), **bearer(people["viewer"]))
    assert [c["name"] for c in response.json()["conversations"]] == ["Ours"]
    assert response.json()["conversations"][0]["id"] == str(mine.pk)
    outsider = client.get(reverse("api:conversation_list"), **bearer(people["outsider"]))
    assert outsider.json()["conversations"] == []


@pytest.mark.parametrize("verb", ["GET", "PUT", "DELETE"])
def test_another_workspace_is_404_for_every_verb_even_for_its_kind_of_admin(
    client, ws, people, verb
):
    """An admin of workspace B gets 404 on everything of workspace A, like a missing id."""
    conv = factories.conversation(ws, members=2, messages=4, insights=3)
    member = conv.members.first()
    headers = bearer(people["outsider"])
    for endpoint in ENDPOINTS:
        response = call(client, verb, url_for(endpoint, conv, member), headers, member)
        assert response.status_code == 404, (endpoint, response.content)
        assert response.json()["type"] == "not_found"
        missing = call(
            client, verb, url_for(endpoint, Conversation(pk=10**9), member), headers, member
        )
        assert missing.status_code == 404
        assert missing.json()["message"] == response.json()["message"]


def test_a_member_of_another_conversation_is_404(client, ws, people):
    conv = factories.conversation(ws, members=2, messages=4)
    other = factories.conversation(ws, members=2, messages=4)
    stranger = other.members.first()
    response = client.put(
        reverse("api:member_detail", args=[conv.pk, stranger.uuid]),
        {"id": str(stranger.uuid), "name": "X"},
        content_type="application/json",
        **bearer(people["editor"]),
    )
    assert response.status_code == 404
    stranger.refresh_from_db()
    assert stranger.name == "Speaker 1"


def test_the_workspace_filter_of_a_foreign_workspace_is_404(client, ws, people):
    factories.conversation(ws)
    response = client.get(
        reverse("api:conversation_list"), {"workspace": ws.slug}, **bearer(people["outsider"])
    )
    assert response.status_code == 404
    assert response.json()["type"] == "not_found"


def test_require_admin_lets_only_workspace_admins_through(ws, people):
    """The helper views that manage a workspace (accounts, keys) use."""
    for role in ("admin", "editor", "commenter", "viewer"):
        membership = Membership.objects.get(user=people[role], workspace=ws)
        if role == "admin":
            require_admin(membership)
        else:
            with pytest.raises(PermissionDenied):
                require_admin(membership)
