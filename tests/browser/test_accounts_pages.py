"""In a real browser: the provider accounts list, a form error and the delete confirmation."""

from __future__ import annotations

import pytest

from diarization_portal.conversations.models import Job, JobKind, JobState
from diarization_portal.sync.models import ProviderAccount
from diarization_portal.workspaces.models import Role
from tests import factories
from tests.browser._login import log_in
from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
KEY = "sk_live_browser_0f9e8d7c"


def _account(ws, vendor, label, base_url="", **secrets) -> ProviderAccount:
    acc = ProviderAccount(workspace=ws, vendor=vendor, label=label, base_url=base_url)
    acc.set_secrets(**secrets)
    acc.save()
    return acc


def test_accounts_list_form_error_and_delete_confirmation(live_server, browser_page, settings):
    settings.PUBLIC_BASE_URL = "https://portal.example.org"
    ws = factories.workspace("Demo team")
    factories.user(ws, Role.ADMIN, username="ada-admin")
    voices = _account(ws, "elevenlabs", "Voice cloning", "eu-residency", api_key=KEY)
    voices.webhook_secret = "whsec_browser_123"
    voices.save()
    _account(ws, "symbl", "Sales calls", app_id="app-id-1", app_secret="app-secret-1")
    _account(ws, "phonexia", "On-prem diarization", "https://phonexia.internal:8600")
    _account(ws, "deepaffects", "Legacy", api_key="")
    conv = factories.conversation(ws, messages=3)
    for state in (JobState.DONE, JobState.DONE, JobState.PROCESSING):
        Job.objects.create(conversation=conv, kind=JobKind.PROCESS, account=voices, state=state)

    page = browser_page
    log_in(page, live_server, "ada-admin")
    page.click("nav >> text=Accounts")
    page.wait_for_selector("table.accounts")
    page.screenshot(path=str(ARTIFACTS / "accounts-list.png"), full_page=True)
    assert page.locator("table.accounts tbody tr[id^=account-]").count() == 4
    assert "https://portal.example.org/webhooks/elevenlabs/" in page.content()
    assert page.locator(".secret.missing").count() == 1  # DeepAffects has no API key
    assert KEY not in page.content()

    page.select_option("select[name=vendor]", "elevenlabs")
    page.click("text=Continue")
    page.fill("input[name=label]", "Second voice")
    page.fill("input[name=base_url]", "mars")
    page.click("button:has-text('Add account')")
    page.wait_for_selector(".field-error")
    page.screenshot(path=str(ARTIFACTS / "account-form-error.png"), full_page=True)
    assert "Choose a region:" in page.locator(".field-error").first.inner_text()
    assert page.locator(".field-error", has_text="Required for this vendor.").count() == 1
    assert not ProviderAccount.objects.filter(label="Second voice").exists()

    page.goto(f"{live_server.url}/w/{ws.slug}/accounts/")
    page.locator(f"#account-{voices.pk}").locator("text=Edit").click()
    page.wait_for_selector("text=Edit “Voice cloning”")
    page.screenshot(path=str(ARTIFACTS / "account-edit.png"), full_page=True)
    assert page.input_value("input[name=api_key]") == ""  # never rendered back
    assert f"/webhooks/elevenlabs/{voices.pk}/" in page.content()
    page.go_back()
    page.locator(f"#account-{voices.pk}").locator("text=Delete").click()
    page.wait_for_selector("text=Delete “Voice cloning”?")
    page.screenshot(path=str(ARTIFACTS / "account-delete-confirm.png"), full_page=True)
    assert "1 unfinished job can no longer reach ElevenLabs" in page.content()
    page.click("button:has-text('Delete account')")
    page.wait_for_selector("text=Deleted account “Voice cloning”.")
    assert not ProviderAccount.objects.filter(pk=voices.pk).exists()
    assert Job.objects.filter(conversation=conv, account__isnull=True).count() == 3
