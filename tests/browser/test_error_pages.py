"""In a real browser, with DEBUG off: the 404, 403, CSRF 403 and 500 pages in the portal's
layout (top bar and navigation, a message, a way back). Screenshots in test-artifacts/."""

from __future__ import annotations

import pytest

from diarization_portal.workspaces.models import Role
from tests import factories
from tests.browser._login import log_in
from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def production(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.error_urls"  # the portal's URLs and /boom/, which fails


def assert_error_page(page, status_text: str, heading: str, shot: str) -> None:
    assert page.locator(".topbar .brand").is_visible()
    assert page.locator(".error-status").inner_text() == status_text
    assert page.locator("h1").inner_text() == heading
    back = page.get_by_role("link", name="Back to the dashboard")
    assert back.is_visible() and back.get_attribute("href") == "/"
    body = page.content()
    assert "Traceback" not in body and "URLconf" not in body
    page.screenshot(path=str(ARTIFACTS / shot), full_page=True)


def test_error_pages_of_a_signed_in_viewer(live_server, browser_page):
    page = browser_page
    ws = factories.workspace("Demo team")
    factories.user(ws, Role.VIEWER, username="vera-viewer")
    log_in(page, live_server, "vera-viewer")

    response = page.goto(f"{live_server.url}/c/999999/")
    assert response.status == 404
    assert_error_page(page, "404", "Page not found", "error-404.png")
    nav = page.locator(".topnav")
    assert nav.get_by_role("link", name="Demo team").is_visible()
    assert "vera-viewer" in nav.inner_text()

    response = page.goto(f"{live_server.url}/w/{ws.slug}/import/")
    assert response.status == 403
    assert_error_page(page, "403", "You can't do this here", "error-403.png")
    assert page.get_by_text("Only editors and admins can change this workspace.").is_visible()

    response = page.goto(f"{live_server.url}/boom/")
    assert response.status == 500
    assert_error_page(page, "500", "Something went wrong on our side", "error-500.png")
    assert nav.get_by_role("button", name="Log out").is_visible()

    page.get_by_role("link", name="Back to the dashboard").click()
    page.wait_for_url(f"{live_server.url}/w/{ws.slug}/")


def test_error_pages_of_a_visitor(live_server, browser_page):
    page = browser_page
    response = page.goto(f"{live_server.url}/no-such-page/")
    assert response.status == 404
    assert_error_page(page, "404", "Page not found", "error-404-signed-out.png")
    assert page.get_by_role("link", name="Log in").is_visible()

    # A login form sent after its CSRF cookie is gone (cleared, expired, refused).
    page.goto(f"{live_server.url}/login/")
    page.context.clear_cookies(name="csrftoken")
    page.fill("input[name=username]", "someone")
    page.fill("input[name=password]", "secret-pw")
    with page.expect_response(f"{live_server.url}/login/") as caught:
        page.click("button[type=submit]")
    assert caught.value.status == 403
    assert_error_page(page, "403", "The form could not be sent", "error-403-csrf.png")
    assert page.get_by_text("refuses the portal's cookies").is_visible()
