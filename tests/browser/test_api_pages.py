"""In a real browser: create an API key (shown once), revoke it, and read the API docs page
with every request beyond the portal blocked (the docs work offline)."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from diarization_portal.api.models import ApiKey
from diarization_portal.workspaces.models import Role
from tests import factories
from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw-test-123")
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_create_a_key_see_it_once_and_revoke_it(live_server, browser_page):
    ws = factories.workspace("Demo team")
    factories.user(ws, Role.EDITOR, username="ada")
    page = browser_page
    log_in(page, live_server.url, "ada")
    page.click("text=API keys")
    page.wait_for_url(f"{live_server.url}/account/api-keys/")
    page.fill("input[name=name]", "CRM sync")
    page.click("button:has-text('Create key')")
    shown = page.locator("input.key-value").input_value()
    assert shown.startswith("dpk_")
    page.screenshot(path=str(ARTIFACTS / "api-keys-created.png"), full_page=True)
    key = ApiKey.objects.get(name="CRM sync")
    page.goto(f"{live_server.url}/account/api-keys/")
    assert page.locator("input.key-value").count() == 0
    assert shown not in page.content()
    assert page.locator(f"code:has-text('{key.prefix}…')").count() == 1
    page.click("button:has-text('Revoke')")
    page.wait_for_selector(".flash.success")
    assert page.locator("text=Revoked 20").count() == 1
    page.screenshot(path=str(ARTIFACTS / "api-keys-revoked.png"), full_page=True)
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_the_api_docs_render_with_the_network_blocked(live_server, browser_page):
    page = browser_page
    portal = urlparse(live_server.url).netloc
    blocked: list[str] = []

    def only_the_portal(route):
        if urlparse(route.request.url).netloc == portal:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_portal)
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".opblock-summary-path")
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/v1/conversations/{id}/members/{member_id}" in [p.strip() for p in paths]
    page.screenshot(path=str(ARTIFACTS / "api-docs.png"), full_page=False)
    assert blocked == []
