"""In a real browser: open the Export menu of a conversation and download each format."""

from __future__ import annotations

import json

import pytest
import webvtt

from diarization_portal.conversations.services.imports import file_import
from diarization_portal.conversations.services.speakers import member_rename
from diarization_portal.workspaces.models import Role
from tests import factories
from tests.browser.conftest import ARTIFACTS
from tests.conftest import SAMPLES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_conversation(page, live_server, role: str, username: str):
    ws = factories.workspace("Demo team")
    factories.user(ws, role, username=username)
    data = (SAMPLES / "weekly-sync.symbl.json").read_bytes()
    conv = file_import(workspace=ws, data=data, source_name="weekly-sync.symbl.json").conversation
    member_rename(member=conv.members.get(name="Speaker 1"), name="Marcus Webb")
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw-test-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/w/{ws.slug}/")
    page.goto(f"{live_server.url}/c/{conv.pk}/")
    return conv


def test_export_menu_downloads_files_with_the_current_names(live_server, browser_page):
    page = browser_page
    conv = open_conversation(page, live_server, Role.VIEWER, "vera-viewer")

    menu = page.locator("#export-menu")
    menu.locator("summary", has_text="Export").click()
    links = menu.locator(".popover-menu a")
    assert links.count() == 4
    assert links.first.is_visible()
    page.screenshot(path=str(ARTIFACTS / "export-menu-open.png"))

    with page.expect_download() as caught:
        menu.locator("a", has_text="WebVTT").click()
    download = caught.value
    assert download.suggested_filename == "weekly-product-sync.vtt"
    captions = webvtt.read(download.path()).captions
    assert len(captions) == conv.messages.count()
    assert "Marcus Webb" in {c.voice for c in captions}

    with page.expect_download() as caught:
        menu.locator("a", has_text="Symbl JSON").click()
    bundle = json.loads(caught.value.path().read_text(encoding="utf-8"))
    assert "Marcus Webb" in {m["name"] for m in bundle["members"]}


def test_export_menu_sits_beside_append_for_an_editor(live_server, browser_page):
    page = browser_page
    open_conversation(page, live_server, Role.EDITOR, "eddie-editor")
    head = page.locator(".page-head .head-actions")
    assert head.locator("a.button", has_text="Append a recording").is_visible()

    head.locator("summary", has_text="Export").click()
    menu = head.locator(".popover-menu")
    assert menu.is_visible()
    box, summary = menu.bounding_box(), head.locator("summary").bounding_box()
    assert box["y"] >= summary["y"] + summary["height"]  # opens below the button
    assert box["x"] + box["width"] <= 1440  # and stays inside the window
    page.screenshot(
        path=str(ARTIFACTS / "export-menu-editor.png"),
        clip={"x": 0, "y": 0, "width": 1440, "height": 440},
    )
