"""The caller's ``role`` and ``access_source`` on conversations, and reading one conversation
with a share link's token (``Authorization: Share <token>``)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from diarization_portal.conversations.services.sharing import share_link_create, share_link_revoke
from tests import factories
from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db


def share(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Share {token}"}


@pytest.mark.parametrize(
    ("role", "source"),
    [
        ("admin", "workspace_admin"),
        ("editor", "workspace_member"),
        ("commenter", "workspace_member"),
        ("viewer", "workspace_member"),
    ],
)
def test_a_conversation_carries_the_callers_role_and_access_source(
    client, people, conv, role, source
):
    auth = bearer(people[role])
    detail = client.get(reverse("api:conversation_detail", args=[conv.pk]), **auth).json()
    assert (detail["role"], detail["access_source"]) == (role, source)
    listed = client.get(reverse("api:conversation_list"), **auth).json()["conversations"]
    assert [(c["role"], c["access_source"]) for c in listed] == [(role, source)]


def test_the_list_shows_each_workspaces_own_role(client, people, conv):
    other = factories.workspace("Other")
    factories.conversation(other, title="Elsewhere")
    from diarization_portal.workspaces.models import Membership

    Membership.objects.create(user=people["viewer"], workspace=other, role="admin")
    listed = client.get(reverse("api:conversation_list"), **bearer(people["viewer"])).json()
    roles = {c["name"]: (c["role"], c["access_source"]) for c in listed["conversations"]}
    assert roles == {
        conv.title: ("viewer", "workspace_member"),
        "Elsewhere": ("admin", "workspace_admin"),
    }


@pytest.mark.parametrize("level", ["viewer", "commenter"])
def test_a_share_token_reads_its_conversation(client, people, conv, level):
    _link, token = share_link_create(conversation=conv, user=people["editor"], access_level=level)
    detail = client.get(reverse("api:conversation_detail", args=[conv.pk]), **share(token))
    assert detail.status_code == 200
    assert (detail.json()["role"], detail.json()["access_source"]) == (level, "share_link")
    for name in ("member_list", "message_list", "insight_list", "action_item_list"):
        assert client.get(reverse(f"api:{name}", args=[conv.pk]), **share(token)).status_code == 200


def test_a_share_token_opens_nothing_else_and_writes_nothing(client, people, conv, ws):
    _link, token = share_link_create(conversation=conv, user=people["editor"])
    other = factories.conversation(ws, title="Other call")
    auth = share(token)
    assert (
        client.get(reverse("api:conversation_detail", args=[other.pk]), **auth).status_code == 404
    )
    assert client.get(reverse("api:conversation_list"), **auth).status_code == 403
    assert client.get(reverse("api:edit_list", args=[conv.pk]), **auth).status_code == 403
    assert client.get(reverse("api:job_list", args=[conv.pk]), **auth).status_code == 403
    member = conv.members.first()
    rename = client.put(
        reverse("api:member_detail", args=[conv.pk, member.uuid]),
        {"name": "Hacked"},
        content_type="application/json",
        **auth,
    )
    assert rename.status_code == 403
    assert (
        client.delete(reverse("api:conversation_detail", args=[conv.pk]), **auth).status_code == 403
    )
    member.refresh_from_db()
    assert member.name != "Hacked"
    assert conv.__class__.objects.filter(pk=conv.pk).exists()


def test_a_revoked_or_unknown_share_token_is_401(client, people, conv):
    link, token = share_link_create(conversation=conv, user=people["editor"])
    url = reverse("api:conversation_detail", args=[conv.pk])
    assert client.get(url, **share(token)).status_code == 200
    share_link_revoke(link=link)
    revoked = client.get(url, **share(token))
    assert revoked.status_code == 401
    assert revoked.json()["type"] == "authentication_failed"
    assert client.get(url, **share("dps_unknown")).status_code == 401


def test_the_schema_describes_role_and_access_source(client):
    schema = client.get(reverse("api:schema"), {"format": "json"}).json()
    components = schema["components"]["schemas"]
    fields = components["Conversation"]["properties"]
    assert fields["access_source"]["allOf"] == [{"$ref": "#/components/schemas/AccessSourceEnum"}]
    assert components["AccessSourceEnum"]["enum"] == [
        "workspace_member",
        "workspace_admin",
        "share_link",
    ]
    assert {"role", "access_source"} <= set(components["Conversation"]["required"])
    operations = schema["paths"]["/api/v1/conversations/{id}"]
    assert {"shareLink": []} in operations["get"]["security"]
    assert {"shareLink": []} not in operations["delete"]["security"]
