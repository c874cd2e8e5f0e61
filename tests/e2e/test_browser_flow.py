"""The whole Symbl flow in Chromium, through the real django-q2 cluster and the vendor emulator.

An editor sends a recording from the dashboard's "New conversation" form; the cluster submits
it to the emulated Symbl, follows the job (polls and webhooks) and imports the result, while
the open conversation page shows the job's states and then its speakers and transcript without
a reload. The editor renames the first speaker: the page shows the push pending, then synced,
and the emulated Symbl received the member update.

The emulated job moves on only when the test says so (:meth:`Advance.by_hand`) and the
submit and the member update are held at the emulator (:meth:`Fault.gate`) until the page
has shown the state in between, so every state is seen whatever the machine's load; nothing
sleeps a fixed time. A page script records each state the job badge, the speakers table and
the member's sync badge went through, so the assertions are about what a person watching the
page saw.
"""

from __future__ import annotations

import time

import pytest

from diarization_portal.conversations.models import (
    Conversation,
    Job,
    JobState,
    Member,
    Message,
    SyncState,
)
from diarization_portal.workspaces.models import Role
from tests import factories
from tests.browser._login import log_in
from tests.chromium import ARTIFACTS
from tests.emulator import Advance, Fault

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

MEDIA = "https://media.example.org/recordings/design-kick-off.mp3"
NEW_NAME = "Laura Project-Manager"
#: Generous bounds (ms) for what the page shows: a panel refreshes every 2 s, the cluster
#: moves a job on within a second; a loaded machine may take many times that.
SHOWN = 45_000
MEMBER_PUT = "PUT /v1/conversations/*/members/*"
#: The job badge's texts the page must show, in order.
STATES = ["Queued", "Submitted", "Processing", "Done"]

# Records, in the page, each distinct state of the watched elements as htmx swaps them:
# window.__seen[name] is the list of texts (or counts) one after the other.
RECORDER = """
({name, selector, count}) => {
  window.__seen = window.__seen || {};
  window.__watch = window.__watch || [];
  const seen = window.__seen[name] = [];
  const look = () => {
    const value = count
      ? document.querySelectorAll(selector).length
      : (document.querySelector(selector) || {textContent: ""}).textContent.trim();
    if (value !== "" && seen[seen.length - 1] !== value) seen.push(value);
  };
  look();
  window.__watch.push(look);
  if (!window.__observer) {
    window.__observer = new MutationObserver(() => window.__watch.forEach((f) => f()));
    window.__observer.observe(document.body, {childList: true, subtree: true, characterData: true});
  }
}
"""


def _watch(page, name: str, selector: str, *, count: bool = False) -> None:
    page.evaluate(RECORDER, {"name": name, "selector": selector, "count": count})


def _seen(page, name: str) -> list:
    return page.evaluate("name => window.__seen[name]", name)


def _shot(page, name: str, *, full_page: bool = True) -> None:
    """A screenshot in ``test-artifacts/`` (the window only, once the transcript makes the
    page many screens long)."""
    page.screenshot(path=str(ARTIFACTS / f"e2e-browser-{name}.png"), full_page=full_page)


def _released_on_arrival(e2e, gate: Fault, what: str) -> None:
    """Let a gated request go once it has reached the emulator."""
    e2e.wait_until(gate.arrived.is_set, timeout=30, what=what)
    gate.release()


@pytest.fixture
def page(e2e, browser_page, request):
    """The Chromium page; when the test fails, a screenshot of where it stopped."""
    yield browser_page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        _shot(browser_page, "failure", full_page=False)


def test_an_editor_sends_a_recording_watches_it_import_and_renames_a_speaker_at_symbl(e2e, page):
    started = time.monotonic()
    symbl = e2e.emulator.symbl
    symbl.advance = Advance.by_hand()
    e2e.account("symbl", label="Symbl team")
    ws = e2e.workspace
    factories.user(ws, Role.EDITOR, username="eve-editor")
    log_in(page, e2e.live_server, "eve-editor")
    page.wait_for_url(f"{e2e.live_server.url}/w/{ws.slug}/")

    # The form: the Symbl account (base URL = the emulator), a recording URL, 4 speakers.
    page.click("text=New conversation")
    page.wait_for_url(f"{e2e.live_server.url}/w/{ws.slug}/new/")
    page.select_option("select[name=account]", label="Symbl team · Symbl.ai")
    page.fill("input[name=source_url]", MEDIA)
    page.fill("input[name=title]", "Design kick-off")
    page.fill("input[name=speaker_count]", "4")
    assert page.is_visible("fieldset[data-vendor=symbl]")
    _shot(page, "1-form-filled")
    submit = e2e.emulator.inject("symbl", "POST /v1/process/audio/url", Fault.gate())
    page.click("button:has-text('Create and send')")

    # The conversation page opens at once with the job queued (the submit is held).
    page.wait_for_selector("#jobs .job-queued", timeout=SHOWN)
    conversation = Conversation.objects.get()
    assert page.url == f"{e2e.live_server.url}/c/{conversation.pk}/"
    job = Job.objects.get()
    badge = f"#job-{job.pk} .job"
    page.evaluate("window.__sameDocument = true")
    _watch(page, "job", badge)
    _watch(page, "speakers", "#speakers tr[data-member]", count=True)
    assert page.is_visible("text=Sent design-kick-off.mp3 to Symbl team (Symbl.ai)")
    assert page.is_visible("#speakers >> text=They appear when a Symbl.ai job is done.")
    assert page.is_visible("#transcript >> text=This conversation has no messages yet.")
    _released_on_arrival(e2e, submit, "the submit at the emulator")

    # Symbl accepted it: "Submitted" while the vendor job is scheduled.
    page.wait_for_selector(f"{badge}.job-submitted", timeout=SHOWN)
    job.refresh_from_db()
    vendor = symbl.conversation(job.vendor_conversation_id)
    [posted] = e2e.emulator.requests("symbl", "POST /v1/process/audio/url")
    assert posted.status == 201 and posted.json()["url"] == MEDIA
    assert posted.query["diarizationSpeakerCount"] == ["4"]
    hook = f"{e2e.live_server.url}/webhooks/symbl/{job.webhook_token}/"
    assert posted.json()["webhookUrl"] == hook

    # The vendor works on it: its webhook makes the cluster poll, the page says "Processing".
    assert symbl.move_on(job.vendor_job_id) == "in_progress"
    page.wait_for_selector(f"{badge}.job-processing", timeout=SHOWN)
    assert page.is_visible("#jobs .live >> text=Updating every 2 s")
    _shot(page, "2-job-processing")

    # Done at the vendor: the cluster imports, the page shows the speakers and transcript.
    assert symbl.move_on(job.vendor_job_id) == "completed"
    page.wait_for_selector(f"{badge}.job-done", timeout=SHOWN)
    rows = page.locator("#speakers tr[data-member]")
    names = [m.name for m in vendor.members.values()]
    page.wait_for_function(
        "n => document.querySelectorAll('#speakers tr[data-member]').length === n",
        arg=len(names),
        timeout=SHOWN,
    )
    _shot(page, "3-imported", full_page=False)

    job.refresh_from_db()
    assert (job.state, job.attempts, job.error_message) == (JobState.DONE, 0, "")
    deliveries = [d for d in e2e.emulator.deliveries if d.payload.get("jobId") == job.vendor_job_id]
    assert [d.payload["status"] for d in deliveries] == ["in_progress", "completed"]
    e2e.wait_until(lambda: all(d.done.is_set() for d in deliveries), what="webhooks answered")
    assert [d.status for d in deliveries] == [200, 200]
    assert e2e.emulator.requests("symbl", f"GET /v1/job/{job.vendor_job_id}")  # it polled too
    # Importing lasts a fraction of a second: a 2 s refresh may or may not land in it.
    observed = _seen(page, "job")
    assert observed in (STATES, [*STATES[:3], "Importing", "Done"])
    assert _seen(page, "speakers") == [0, len(names)]  # all at once, in one swap
    assert page.get_attribute("#jobs", "hx-trigger") is None  # the panel stopped polling
    assert page.evaluate("window.__sameDocument") is True  # never reloaded
    assert rows.locator(".member-name").all_inner_texts() == names
    assert rows.locator(".sync-synced").count() == len(names)
    assert page.locator("#transcript li.line").count() == len(vendor.messages)
    texts = page.locator("#transcript li.line .text").all_inner_texts()
    assert texts == [m.text for m in vendor.messages]

    # Rename the first speaker in the Rename popover; the update to Symbl is held meanwhile.
    first = rows.first
    member = Member.objects.get(pk=first.get_attribute("data-member"))
    old_name = member.name
    assert old_name == names[0] == "Speaker 1"
    said = Message.objects.filter(member=member).count()
    assert said > 0
    _watch(page, "sync", f"#member-{member.pk} .sync")
    put = e2e.emulator.inject("symbl", MEMBER_PUT, Fault.gate())
    first.locator("summary", has_text="Rename").click()
    first.locator("input[name=name]").fill(NEW_NAME)
    _shot(page, "4-rename-popover", full_page=False)
    first.locator("button", has_text="Save").click()
    page.wait_for_selector(f"text=Renamed {old_name} to {NEW_NAME}", timeout=SHOWN)
    page.wait_for_selector(f"#member-{member.pk} .sync-pending", timeout=SHOWN)
    assert Member.objects.get(pk=member.pk).sync_state == SyncState.PENDING
    _shot(page, "5-rename-pending", full_page=False)
    _released_on_arrival(e2e, put, "the member update at the emulator")
    page.wait_for_selector(f"#member-{member.pk} .sync-synced", timeout=SHOWN)
    _shot(page, "6-synced", full_page=False)

    assert _seen(page, "sync") == [
        "Symbl.ai sync: synced",
        "Symbl.ai sync: pending",
        "Symbl.ai sync: synced",
    ]
    assert page.get_attribute("#speakers", "hx-trigger") is None  # nothing pending: no polling
    assert page.evaluate("window.__sameDocument") is True
    # Every turn of that speaker, and the lines in them, now say who it was.
    heads = page.locator(f".turn-head .member-name[data-member='{member.pk}']")
    assert heads.count() > 0 and set(heads.all_inner_texts()) == {NEW_NAME}
    lines = page.locator(f".turn:has(.turn-head .member-name[data-member='{member.pk}']) li.line")
    assert lines.count() == said
    everywhere = page.locator(f".member-name[data-member='{member.pk}']").all_inner_texts()
    assert set(everywhere) == {NEW_NAME}
    assert old_name not in page.locator(".member-name").all_inner_texts()

    # What Symbl received: one member update, with the new name, for that member's id.
    [sent] = e2e.emulator.requests("symbl", MEMBER_PUT)
    assert sent.path == f"/v1/conversations/{vendor.id}/members/{member.vendor_label}"
    assert (sent.status, sent.fault) == (200, "gate")
    assert sent.json()["id"] == member.vendor_label and sent.json()["name"] == NEW_NAME
    assert vendor.members[member.vendor_label].name == NEW_NAME
    print(f"browser flow: {time.monotonic() - started:.1f} s; job badge showed {observed}")
