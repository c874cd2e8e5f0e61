"""Share links on the conversation page: editors and admins create, list and revoke them; the
link opens a read-only page without logging in; a revoked link is a 404 at once."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from diarization_portal.conversations.models import ShareLink, share_token_hash
from diarization_portal.conversations.services.sharing import share_link_create
from diarization_portal.workspaces.models import Role
from tests import factories
from tests.dashboard.conftest import HX

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(ws):
    return {
        role: factories.user(ws, role, username=f"{role}-user")
        for role in (Role.ADMIN, Role.EDITOR, Role.COMMENTER, Role.VIEWER)
    }


@pytest.fixture
def conv(ws):
    return factories.conversation(ws, members=2, messages=6, title="Board call")


def create(client, conv, level="viewer", **extra):
    return client.post(
        reverse("dashboard:share_create", args=[conv.pk]), {"access_level": level}, **extra
    )


def link_in(response) -> str:
    """The path of the share link shown in a reply."""
    match = re.search(r'value="http://testserver(/s/[^"/]+/)"', response.content.decode())
    assert match, response.content.decode()
    return match.group(1)


@pytest.mark.parametrize("role", [Role.EDITOR, Role.ADMIN])
def test_editors_and_admins_create_a_link_shown_once_and_stored_hashed(client, people, conv, role):
    client.force_login(people[role])
    response = create(client, conv, "commenter")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    path = link_in(response)
    token = path.split("/")[2]
    link = ShareLink.objects.get()
    assert (link.conversation, link.access_level, link.created_by) == (
        conv,
        "commenter",
        people[role],
    )
    assert link.token_hash == share_token_hash(token) and token not in link.token_hash
    # The conversation page lists it afterwards without the token.
    page = client.get(reverse("dashboard:conversation_detail", args=[conv.pk])).content.decode()
    assert 'id="share-links"' in page and f"share-link-{link.pk}" in page and token not in page


@pytest.mark.parametrize("role", [Role.VIEWER, Role.COMMENTER])
def test_viewers_and_commenters_can_neither_create_nor_see_links(client, people, conv, role):
    share_link_create(conversation=conv, user=people[Role.EDITOR])
    client.force_login(people[role])
    assert create(client, conv).status_code == 403
    page = client.get(reverse("dashboard:conversation_detail", args=[conv.pk])).content.decode()
    assert 'id="share-links"' not in page
    link = ShareLink.objects.get()
    revoke = reverse("dashboard:share_revoke", args=[conv.pk, link.pk])
    assert client.post(revoke).status_code == 403
    assert ShareLink.objects.active().count() == 1


def test_outsiders_get_404(client, people, conv):
    client.force_login(factories.user(factories.workspace(), Role.ADMIN))
    assert create(client, conv).status_code == 404


def test_the_link_opens_a_read_only_page_without_login(client, people, conv):
    _link, token = share_link_create(conversation=conv, user=people[Role.EDITOR])
    other = factories.conversation(conv.workspace, title="Secret other call")
    response = client.get(reverse("dashboard:shared_conversation", args=[token]))
    assert response.status_code == 200
    assert response["Referrer-Policy"] == "no-referrer"
    page = response.content.decode()
    assert "Board call" in page and "Shared link · Viewer, read-only" in page
    assert conv.members.first().name in page
    # No workspace menu, no other conversation, no edit control, no form that posts.
    assert "Acme" not in page and other.title not in page
    assert "Log out" not in page and "API keys" not in page
    assert "<form" not in page and ">Rename<" not in page and "Merge into" not in page
    assert reverse("dashboard:conversation_list", args=[conv.workspace.slug]) not in page


def test_a_logged_in_member_opening_a_link_still_sees_no_workspace_menu(client, people, conv):
    _link, token = share_link_create(conversation=conv, user=people[Role.EDITOR])
    client.force_login(people[Role.ADMIN])
    page = client.get(reverse("dashboard:shared_conversation", args=[token])).content.decode()
    assert "Log out" not in page and "<form" not in page and "Acme" not in page


def test_revoking_makes_the_link_404_at_once(client, people, conv):
    link, token = share_link_create(conversation=conv, user=people[Role.EDITOR])
    url = reverse("dashboard:shared_conversation", args=[token])
    assert client.get(url).status_code == 200
    client.force_login(people[Role.EDITOR])
    response = client.post(reverse("dashboard:share_revoke", args=[conv.pk, link.pk]), **HX)
    assert response.status_code == 200
    assert "The link was revoked." in response.content.decode()
    assert f"share-link-{link.pk}" not in response.content.decode()
    client.logout()
    assert client.get(url).status_code == 404


def test_unknown_tokens_are_404(client):
    assert (
        client.get(reverse("dashboard:shared_conversation", args=["dps_nope"])).status_code == 404
    )


def test_a_link_of_another_conversation_cannot_be_revoked_here(client, people, conv):
    other = factories.conversation(conv.workspace)
    link, _ = share_link_create(conversation=other, user=people[Role.EDITOR])
    client.force_login(people[Role.EDITOR])
    assert (
        client.post(reverse("dashboard:share_revoke", args=[conv.pk, link.pk])).status_code == 404
    )
    assert ShareLink.objects.get().revoked_at is None


def test_htmx_create_swaps_the_panel_only(client, people, conv):
    client.force_login(people[Role.EDITOR])
    response = create(client, conv, **HX)
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="card" id="share-links"')
    assert "Copy it now" in body


def test_a_bad_level_is_400(client, people, conv):
    client.force_login(people[Role.EDITOR])
    assert create(client, conv, "admin", **HX).status_code == 400
    assert not ShareLink.objects.exists()


def page_queries(client, conv) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("dashboard:conversation_detail", args=[conv.pk]))
    assert response.status_code == 200
    return len(ctx)


def test_the_links_list_costs_one_query_whatever_the_number_of_links(client, people, conv):
    client.force_login(people[Role.EDITOR])
    share_link_create(conversation=conv, user=people[Role.EDITOR])
    one = page_queries(client, conv)
    for n in range(10):
        share_link_create(conversation=conv, user=people[Role.ADMIN if n % 2 else Role.EDITOR])
    assert page_queries(client, conv) == one
