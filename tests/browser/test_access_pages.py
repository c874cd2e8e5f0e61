"""In a real browser: the login page after a lockout (portal and admin), the share links panel
of a conversation, and the read-only page a link opens in a fresh browser without login."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from diarization_portal.conversations.models import ShareLink
from diarization_portal.workspaces.models import Role
from tests import factories
from tests.browser._login import log_in
from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_locked_out_login_says_so_on_the_portals_and_the_admins_page(
    live_server, browser_page, settings
):
    settings.AXES_FAILURE_LIMIT = 3
    factories.user(username="alice")
    get_user_model().objects.create_superuser("root", password="pw-test-123")
    page = browser_page
    for _ in range(3):
        log_in(page, live_server, "alice", "wrong-password")
    log_in(page, live_server, "alice")  # the right password, refused
    alert = page.locator("p.flash.error[role=alert]")
    assert "Too many failed login attempts" in alert.inner_text()
    assert "Log out" not in page.content()
    page.screenshot(path=str(ARTIFACTS / "login-locked-out.png"), full_page=True)

    # The lockout is per address too: the admin login from the same browser is refused.
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", "root")
    page.fill("input[name=password]", "pw-test-123")
    page.click("input[type=submit]")
    page.wait_for_load_state()
    assert "Too many failed login attempts" in page.locator("p.errornote").first.inner_text()
    page.screenshot(path=str(ARTIFACTS / "admin-login-locked-out.png"), full_page=True)


def test_share_panel_and_the_shared_page(live_server, browser_page):
    ws = factories.workspace("Demo team")
    factories.user(ws, Role.EDITOR, username="eve-editor")
    conv = factories.conversation(ws, members=3, messages=12, insights=3, title="Quarterly review")
    factories.conversation(ws, title="Another call")
    page = browser_page
    log_in(page, live_server, "eve-editor")
    page.goto(f"{live_server.url}/c/{conv.pk}/")
    panel = page.locator("#share-links")
    panel.locator("select[name=access_level]").select_option("commenter")
    panel.locator("button:has-text('Create a share link')").click()
    url = page.locator("#share-links input.share-url").input_value()
    assert "/s/dps_" in url
    panel.locator("button:has-text('Create a share link')").click()  # a second, viewer link
    # (a selector, not wait_for_function: the pages' CSP forbids evaluating strings)
    page.wait_for_selector("#share-links tbody tr:nth-child(2)")
    panel.screenshot(path=str(ARTIFACTS / "share-links-panel.png"))
    rows = page.locator("#share-links tbody tr")
    assert rows.count() == 2
    assert "eve-editor" in rows.first.inner_text()

    # A fresh browser context: no session cookie.
    shared = page.context.browser.new_page(viewport={"width": 1440, "height": 1000})
    shared.goto(url)
    assert shared.locator("h1").inner_text() == "Quarterly review"
    assert "Commenter, read-only" in shared.locator(".topnav").inner_text()
    body = shared.content()
    assert "Another call" not in body and "Demo team" not in body and "Log out" not in body
    assert shared.locator("form").count() == 0
    shared.screenshot(path=str(ARTIFACTS / "shared-conversation.png"), full_page=True)

    # Revoking (htmx, after a confirm) makes the link a 404 at once.
    page.on("dialog", lambda dialog: dialog.accept())
    link = ShareLink.objects.order_by("created_at").first()
    page.locator(f"#share-link-{link.pk} button:has-text('Revoke')").click()
    page.wait_for_selector("text=The link was revoked.")
    assert page.locator("#share-links tbody tr").count() == 1
    response = shared.goto(url)
    assert response.status == 404
    shared.close()
