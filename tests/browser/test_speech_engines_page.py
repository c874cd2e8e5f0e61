"""In a real browser: the ElevenLabs account page lists linked Speech Engines with what the
vendor returned, a privacy warning and an error; linking another shows it being read."""

from __future__ import annotations

import pytest
from django.utils import timezone

from diarization_portal.sync.models import ProviderAccount, SpeechEngineLink
from diarization_portal.workspaces.models import Role, Workspace
from providers.elevenlabs import parse_speech_engine
from tests import factories
from tests.browser._login import log_in
from tests.browser.conftest import ARTIFACTS
from tests.sync.conftest import recorded

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_account_page_lists_speech_engines(live_server, browser_page):
    ws = factories.workspace("Demo team")
    Workspace.objects.filter(pk=ws.pk).update(retention_days=30, delete_audio=True)
    factories.user(ws, Role.ADMIN, username="ada-admin")
    acc = ProviderAccount(workspace=ws, vendor="elevenlabs", label="Support lines")
    acc.set_secrets(api_key="sk_live_browser_engine")
    acc.save()
    body = recorded("elevenlabs", "speech_engine_full.json")
    SpeechEngineLink.objects.create(
        account=acc,
        engine_id="seng_support_eu",
        state="ok",
        details=parse_speech_engine(body).as_dict(),
        fetched_at=timezone.now(),
    )
    SpeechEngineLink.objects.create(
        account=acc,
        engine_id="seng_missing",
        state="error",
        error_type="http_404",
        error_message="ElevenLabs GET /v1/speech-engine/seng_missing: HTTP 404: "
        "Speech engine seng_missing was not found.",
    )

    page = browser_page
    log_in(page, live_server, "ada-admin")
    page.goto(f"{live_server.url}/w/{ws.slug}/accounts/{acc.pk}/")
    page.wait_for_selector("#speech-engines")
    assert page.locator(".privacy-conflict").count() == 2
    assert "knows no Speech Engine with this id" in page.locator(".engine-failure").inner_text()
    page.screenshot(path=str(ARTIFACTS / "speech-engines.png"), full_page=True)

    page.fill("input[name=engine_id]", "seng_new_line")
    page.click("button:has-text('Link engine')")
    page.wait_for_selector("[data-engine=seng_new_line]")
    assert "Reading the engine" in page.locator("[data-engine=seng_new_line]").inner_text()
