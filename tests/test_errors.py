"""Error pages with DEBUG off: 400, 403 (and a failed CSRF check), 404 and 500 in the portal's
layout with navigation, a message and a way home, no debug output; JSON under /api/."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from diarization_portal import errors
from diarization_portal.workspaces.models import Role
from tests import factories
from tests.error_urls import SECRET_DETAIL

pytestmark = pytest.mark.django_db

DEBUG_OUTPUT = ("URLconf", "Traceback", "technical", "Request Method", "Django settings")


@pytest.fixture(autouse=True)
def production(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.error_urls"
    return settings


@pytest.fixture
def raw_client() -> Client:
    """A client that gets the 500 page instead of the exception."""
    return Client(raise_request_exception=False)


def assert_portal_page(response, status: int, *texts: str) -> str:
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert '<header class="topbar">' in html
    assert 'class="button primary" href="/">Back to the dashboard</a>' in html
    for text in texts:
        assert text in html, text
    for leak in DEBUG_OUTPUT:
        assert leak not in html, leak
    return html


def test_404_for_an_unknown_path(client):
    html = assert_portal_page(client.get("/nowhere/"), 404, "Page not found", "/nowhere/")
    assert 'href="/login/">Log in</a>' in html


def test_404_shows_the_signed_in_users_navigation(client):
    ws = factories.workspace("Acme")
    client.force_login(factories.user(ws, Role.EDITOR, username="erin"))
    html = assert_portal_page(client.get("/nowhere/"), 404, "Page not found")
    assert f'href="{reverse("dashboard:conversation_list", args=[ws.slug])}">Acme</a>' in html
    assert "Import file" in html and "Log out" in html and "erin" in html
    assert 'name="csrfmiddlewaretoken"' in html  # the log-out form works from here
    assert ">Log in</a>" not in html


def test_404_for_a_conversation_of_another_workspace_names_no_model(client):
    conv = factories.conversation(factories.workspace("Other team"))
    client.force_login(factories.user(factories.workspace("Acme"), Role.VIEWER))
    html = assert_portal_page(client.get(f"/c/{conv.pk}/"), 404, "Page not found")
    assert "Conversation matches" not in html


def test_403_tells_a_viewer_why(client):
    ws = factories.workspace("Acme")
    conv = factories.conversation(ws)
    member = conv.members.first()
    client.force_login(factories.user(ws, Role.VIEWER))
    response = client.post(
        reverse("dashboard:member_rename", args=[conv.pk, member.pk]), {"name": "Ann"}
    )
    reason = "Only editors and admins can change this workspace."
    assert_portal_page(response, 403, "You can't do this here", reason)


def test_403_without_a_reason(client):
    assert_portal_page(client.get("/denied/"), 403, "does not have the permission")


def test_403_for_a_form_without_its_csrf_token():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "a", "password": "b"})
    html = assert_portal_page(response, 403, "The form could not be sent", "cookies")
    assert "Reason:" not in html


def test_403_csrf_shows_djangos_reason_only_while_debug_is_on(settings):
    settings.DEBUG = True
    client = Client(enforce_csrf_checks=True)
    client.get("/login/")  # the CSRF cookie
    response = client.post("/login/", {"username": "a", "password": "b"})
    assert response.status_code == 403
    assert "Reason: CSRF token missing." in response.content.decode()


def test_500_is_the_portals_page_without_the_traceback(client, raw_client):
    ws = factories.workspace("Acme")
    raw_client.force_login(factories.user(ws, Role.ADMIN, username="ada"))
    html = assert_portal_page(raw_client.get("/boom/"), 500, "Something went wrong", "ada")
    assert SECRET_DETAIL not in html


def test_500_page_renders_without_the_request_when_that_fails(raw_client, monkeypatch):
    def broken(request):
        raise RuntimeError("the database is gone")

    monkeypatch.setattr(errors, "nav_context", broken)
    html = assert_portal_page(raw_client.get("/boom/"), 500, "Something went wrong")
    assert "Log out" not in html


def test_500_falls_back_to_plain_html(raw_client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("templates are gone")

    monkeypatch.setattr(errors, "render", broken)
    monkeypatch.setattr(errors.loader, "get_template", broken)
    response = raw_client.get("/boom/")
    assert response.status_code == 500
    assert response.content.decode() == errors.PLAIN_500


def test_400_for_a_host_not_allowed(client):
    assert_portal_page(client.get("/login/", HTTP_HOST="evil.example"), 400, "could not be")


def test_api_keeps_its_json_error_shape(client, raw_client):
    response = client.get("/api/v1/nowhere")
    assert response.status_code == 404
    assert response.json() == {
        "type": "not_found",
        "message": "No API endpoint at /api/v1/nowhere",
        "errors": [],
    }
    response = raw_client.get("/api/v1/boom")
    assert response.status_code == 500
    assert response.json()["type"] == "server_error"
    assert SECRET_DETAIL not in response.content.decode()


def test_a_webhook_that_fails_answers_json_too(raw_client):
    response = raw_client.post("/webhooks/boom/")
    assert response.status_code == 500
    assert response.json()["type"] == "server_error"
    assert SECRET_DETAIL not in response.content.decode()


@pytest.mark.parametrize(
    ("handler", "status", "type_"),
    [
        (errors.bad_request, 400, "bad_request"),
        (errors.permission_denied, 403, "permission_denied"),
        (errors.page_not_found, 404, "not_found"),
        (errors.server_error, 500, "server_error"),
        (errors.csrf_failure, 403, "permission_denied"),
    ],
)
def test_every_handler_answers_json_under_api(rf, handler, status, type_):
    response = handler(rf.get("/api/v1/conversations"))
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert set(body) == {"type", "message", "errors"}
    assert body["type"] == type_
