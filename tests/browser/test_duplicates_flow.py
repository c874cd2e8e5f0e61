"""In a real browser, on the demo data: the "Possible duplicates" panel of the weekly sync,
merging a suggestion and dismissing another update the panel in place."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from diarization_portal.conversations.models import Conversation, DuplicateDismissal
from tests.browser._login import log_in
from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_merge_a_suggested_duplicate_and_dismiss_another(live_server, browser_page):
    call_command("demo_setup", stdout=StringIO())
    conv = Conversation.objects.get(title="Weekly product sync")
    first, second = conv.members.filter(name="Priya Natarajan").order_by("position")

    page = browser_page
    log_in(page, live_server, "demo", "diarize-demo")
    page.click("text=Weekly product sync")
    panel = page.locator("#duplicates")
    panel.wait_for()
    page.evaluate("window.__sameDocument = true")
    page.screenshot(path=str(ARTIFACTS / "duplicates-panel.png"), full_page=True)
    panel.screenshot(path=str(ARTIFACTS / "duplicates-panel-close.png"))
    rows = panel.locator("li.duplicate")
    assert rows.count() == 3
    priya = panel.locator(f"#duplicate-{second.pk}-{first.pk}")
    assert "Merging moves 6 messages and 0 insights." in priya.inner_text()

    priya.locator("button", has_text="Merge into Priya Natarajan").click()
    page.wait_for_selector("text=Merged Priya Natarajan into Priya Natarajan: 6 messages")
    assert page.locator("#duplicates li.duplicate").count() == 2
    assert page.locator(f"#duplicate-{second.pk}-{first.pk}").count() == 0
    assert page.locator(f"#member-{second.pk}").count() == 0  # gone from the speakers too
    assert page.evaluate("window.__sameDocument") is True  # swapped in place
    second.refresh_from_db()
    assert second.merged_into_id == first.pk

    b_row = page.locator("#duplicates li.duplicate", has_text="Speaker B")
    b_row.locator("button", has_text="Not the same person").click()
    page.wait_for_selector("text=are no longer suggested as one person")
    assert page.locator("#duplicates li.duplicate").count() == 1
    assert DuplicateDismissal.objects.filter(conversation=conv).count() == 1
    page.screenshot(path=str(ARTIFACTS / "duplicates-after.png"), full_page=True)
