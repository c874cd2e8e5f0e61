"""In a real browser: every page runs under the portal's Content-Security-Policy with no
violation (no inline script or style left), the API docs and the admin included, and speaker
audio that a vendor labels as a page is refused, not rendered."""

from __future__ import annotations

import base64

import pytest
import responses

from diarization_portal.conversations.models import Job, Member
from diarization_portal.sync import services
from diarization_portal.sync.models import ProviderAccount
from diarization_portal.sync.services import _queue
from diarization_portal.workspaces.models import Role
from tests import factories
from tests.browser._login import log_in
from tests.browser.conftest import ARTIFACTS
from tests.dashboard.test_pvc import OPTIONS, PVC, SEPARATION
from tests.sync.conftest import TaskRecorder, due, make_account, recorded

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: Collects the page's CSP violations (Playwright's init scripts are not subject to the CSP).
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""
HTML_AUDIO = b"<html><script>fetch('/account/api-keys/', {method: 'POST'})</script></html>"


class Watch:
    """The CSP violations and console errors of a page, page by page."""

    def __init__(self, page) -> None:
        self.page = page
        self.console: list[str] = []
        page.add_init_script(WATCH)
        page.on(
            "console",
            lambda m: self.console.append(m.text) if m.type in ("error", "warning") else None,
        )

    def visit(self, url: str, shot: str, *, wait_for: str | None = None) -> None:
        self.console.clear()
        response = self.page.goto(url)
        assert response.status == 200, url
        assert "script-src 'self'" in response.headers["content-security-policy"], url
        if wait_for:
            self.page.wait_for_selector(wait_for)
        self.page.wait_for_load_state("networkidle")
        self.page.screenshot(path=str(ARTIFACTS / f"csp-{shot}.png"), full_page=True)
        self.clean(url)

    def clean(self, where: str) -> None:
        violations = self.page.evaluate("window.__csp")
        policy = [c for c in self.console if "Content Security Policy" in c]
        assert violations == [] and policy == [], (where, violations, policy)


def _pvc_job(ws, mocked, monkeypatch) -> Job:
    tasks = TaskRecorder()
    monkeypatch.setattr(_queue, "async_task", tasks)
    account = make_account(ws, "elevenlabs", base_url="default")
    job = services.job_create(account=account, title="Narration sample", options=OPTIONS)
    mocked.get(f"{PVC}/speakers", json=SEPARATION)
    tasks.run_all()
    services.job_poll(job_id=due(job).pk)
    tasks.run_all()
    return Job.objects.get(pk=job.pk)


def test_pages_run_under_the_policy_without_violations(
    live_server, browser_page, settings, tmp_path, monkeypatch
):
    settings.MEDIA_ROOT = tmp_path
    ws = factories.workspace("Demo team")
    admin = factories.user(ws, Role.ADMIN, username="ada")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    conv = factories.conversation(ws, members=3, messages=30, insights=3, title="Weekly sync")
    other = factories.conversation(ws, members=2, messages=4, title="Second")
    account = ProviderAccount(workspace=ws, vendor="symbl", label="Main")
    account.set_secrets(app_id="a", app_secret="b")
    account.save()
    base = live_server.url
    page = browser_page
    watch = Watch(page)
    log_in(page, live_server, "ada")
    watch.clean("login")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        job = _pvc_job(ws, mocked, monkeypatch)
        tracks = {m.vendor_label: m for m in Member.objects.filter(conversation=job.conversation)}
        mocked.get(f"{PVC}/speakers/spk_a/audio", json=recorded("elevenlabs", "speaker_audio.json"))
        mocked.get(
            f"{PVC}/speakers/spk_b/audio",
            json={
                "audio_base_64": base64.b64encode(HTML_AUDIO).decode(),
                "media_type": "text/html",
            },
        )
        watch.visit(f"{base}/w/{ws.slug}/", "conversation-list")
        watch.visit(f"{base}/c/{conv.pk}/", "conversation", wait_for="li.turn.c0")
        assert page.locator("meter.bar").count() == 3
        chip = page.locator("#speakers .chip").first
        assert chip.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(37, 99, 235)"
        watch.visit(f"{base}/c/{other.pk}/", "conversation-2")
        watch.visit(f"{base}/w/{ws.slug}/accounts/", "accounts")
        watch.visit(f"{base}/w/{ws.slug}/accounts/{account.pk}/", "account-edit")
        watch.visit(f"{base}/account/api-keys/", "api-keys")
        page.fill("input[name=name]", "CRM sync")
        page.click("button:has-text('Create key')")
        page.wait_for_selector("input.key-value")
        page.focus("input.key-value")
        selected = page.locator("input.key-value").evaluate(
            "i => i.value.slice(i.selectionStart, i.selectionEnd)"
        )
        assert selected.startswith("dpk_")  # the static script selected it
        watch.clean("api-keys created")
        watch.visit(f"{base}/api/docs/", "api-docs", wait_for=".opblock")
        assert page.locator(".opblock").count() > 10
        watch.visit(f"{base}/admin/", "admin")
        watch.visit(f"{base}/admin/sync/provideraccount/{account.pk}/change/", "admin-account")
        watch.visit(f"{base}/admin/conversations/conversation/{conv.pk}/change/", "admin-conv")
        watch.visit(f"{base}/c/{job.conversation_id}/pvc/", "pvc")
        played = page.locator(f"audio[src$='/{tracks['spk_a'].pk}/audio/']")
        refused = page.locator(f"audio[src$='/{tracks['spk_b'].pk}/audio/']")
        refused.evaluate("a => { a.preload = 'auto'; a.load(); }")
        served = page.request.get(base + played.get_attribute("src"))
        assert served.status == 200 and served.headers["content-type"] == "audio/mpeg"
        assert served.headers["x-content-type-options"] == "nosniff"
        note = refused.locator("xpath=..").locator(".audio-error")
        note.wait_for(state="visible")
        assert "something else than audio" in note.inner_text()
        assert "text/html" in note.inner_text()
        page.screenshot(path=str(ARTIFACTS / "csp-pvc-audio.png"), full_page=True)
        watch.clean("pvc audio")
