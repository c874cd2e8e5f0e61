"""In a real browser: rename "Speaker 1" and watch every reference change; then undo."""

from __future__ import annotations

import pytest

from diarization_portal.conversations.services.imports import file_import
from diarization_portal.workspaces.models import Role
from tests import factories
from tests.browser.conftest import ARTIFACTS
from tests.conftest import SAMPLES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def names(page, member_pk: int) -> list[str]:
    return page.locator(f'.member-name[data-member="{member_pk}"]').all_inner_texts()


def test_rename_reaches_every_turn_and_insight_and_undo_restores_it(live_server, browser_page):
    ws = factories.workspace("Demo team")
    factories.user(ws, Role.EDITOR, username="ada-admin")
    data = (SAMPLES / "weekly-sync.symbl.json").read_bytes()
    conv = file_import(workspace=ws, data=data, source_name="weekly-sync.symbl.json").conversation
    member = conv.members.get(name="Speaker 1")
    from_count = conv.insights.filter(from_member=member).count()
    assignee_count = conv.insights.filter(assignee=member).count()
    assert from_count >= 1 and assignee_count >= 2

    page = browser_page
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "ada-admin")
    page.fill("input[name=password]", "pw-test-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/w/{ws.slug}/")
    page.click("text=Weekly product sync")
    page.wait_for_selector("#conversation-body")
    page.evaluate("window.__sameDocument = true")

    before = names(page, member.pk)
    turns = page.locator(f'.turn .member-name[data-member="{member.pk}"]').count()
    assert turns >= 5
    assert len(before) == 1 + turns + from_count + assignee_count
    assert set(before) == {"Speaker 1"}

    row = page.locator(f"#member-{member.pk}")
    row.locator("summary", has_text="Rename").click()
    row.locator("input[name=name]").fill("Ada Lovelace")
    row.locator("button", has_text="Save").click()
    page.wait_for_selector("text=Renamed Speaker 1 to Ada Lovelace")
    page.screenshot(path=str(ARTIFACTS / "rename-after.png"), full_page=True)

    after = names(page, member.pk)
    assert after == ["Ada Lovelace"] * len(before)
    assert page.locator(".insight-from", has_text="Ada Lovelace").count() == from_count
    assert page.locator(".insight-assignee", has_text="Ada Lovelace").count() == assignee_count
    assert page.locator(".member-name", has_text="Speaker 1").count() == 0
    assert page.evaluate("window.__sameDocument") is True  # swapped in place, no reload

    page.locator("#history li", has_text="Renamed Speaker 1 to Ada Lovelace").locator(
        "button", has_text="Undo"
    ).click()
    page.wait_for_selector("text=Undone: Renamed Speaker 1 to Ada Lovelace")
    page.screenshot(path=str(ARTIFACTS / "rename-undone.png"), full_page=True)
    assert names(page, member.pk) == ["Speaker 1"] * len(before)
    assert page.locator(".member-name", has_text="Ada Lovelace").count() == 0
    assert page.evaluate("window.__sameDocument") is True
    member.refresh_from_db()
    assert member.name == "Speaker 1"
