"""In a real browser: a workspace admin sets a retention policy, sees what is due with its
export links, and the report of a retention run."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from diarization_portal.conversations.models import Conversation
from diarization_portal.conversations.services.retention import retention_enforce
from diarization_portal.workspaces.models import Role, Workspace
from tests import factories
from tests.browser._login import log_in
from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _aged(ws, days, title, **kw):
    conv = factories.conversation(ws, title=title, **kw)
    Conversation.objects.filter(pk=conv.pk).update(created_at=timezone.now() - timedelta(days=days))
    return conv


def test_admin_sets_a_policy_and_sees_what_is_due(live_server, browser_page):
    ws = factories.workspace("Demo team")
    factories.user(ws, Role.ADMIN, username="ada-admin")
    _aged(ws, 90, "Quarterly review", messages=40, insights=3)
    _aged(ws, 70, "Onboarding call", messages=25)
    due = _aged(ws, 26, "Customer escalation", messages=18)
    _aged(ws, 3, "Stand-up", messages=12)

    page = browser_page
    log_in(page, live_server, "ada-admin")
    page.click("nav >> text=Privacy")
    page.wait_for_selector("form.privacy-form")
    page.fill("input[name=retention_days]", "-1")
    page.check("input[name=delete_transcript_and_pii]")
    page.click("button:has-text('Save policy')")
    page.wait_for_selector(".field-error")
    assert "nothing is ever deleted" in page.locator(".field-error").inner_text()

    page.fill("input[name=retention_days]", "60")
    page.check("input[name=apply_to_existing_conversations]")
    page.click("button:has-text('Save policy')")
    page.wait_for_selector(".flash.success")
    ws = Workspace.objects.get(pk=ws.pk)
    assert (ws.retention_days, ws.delete_transcript_and_pii) == (60, True)

    retention_enforce(workspace=ws)  # deletes the two conversations older than 60 days
    Workspace.objects.filter(pk=ws.pk).update(retention_days=30)
    page.goto(f"{live_server.url}/w/{ws.slug}/privacy/?days=7")
    page.wait_for_selector("table.due-list")
    page.screenshot(path=str(ARTIFACTS / "privacy-settings.png"), full_page=True)
    rows = page.locator("table.due-list tbody tr[data-conversation]")
    assert rows.count() == 1 and "Customer escalation" in rows.first.inner_text()
    assert page.locator(f"a[href='/c/{due.pk}/export.json']").count() == 1
    runs = page.locator("table.run-list tbody tr").first.inner_text()
    assert "2" in runs and "65" in runs  # 2 conversations, 40 + 25 messages
