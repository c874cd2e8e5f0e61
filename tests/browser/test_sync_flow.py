"""In a real browser: the recording form shows only the chosen vendor's options; a job's
progress appears in the job panel without reload and the imported speakers appear when it is
done; a rejected job is retried; member push states update themselves.

The vendor work runs in the test thread through the real sync services against recorded
Symbl bodies (``responses``), as a django-q2 worker would run it.
"""

from __future__ import annotations

import pytest
import responses

from diarization_portal.conversations.models import Job, JobState, Member, SyncState
from diarization_portal.sync import services
from diarization_portal.workspaces.models import Role
from tests import factories
from tests.browser.conftest import ARTIFACTS
from tests.dashboard.conftest import vendor_conversation
from tests.sync.conftest import due, make_account
from tests.sync.symbl_mocks import BASE, CONV, add_conversation, add_job, add_token, symbl

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
MEDIA_URL = "https://media.example.org/weekly.mp3"


@pytest.fixture
def ws(settings, tmp_path):
    settings.PUBLIC_BASE_URL = "https://portal.example.org"
    settings.MEDIA_ROOT = tmp_path / "media"
    return factories.workspace("Demo team")


@pytest.fixture
def accounts(ws):
    made = {
        "symbl": make_account(ws, "symbl", label="Symbl team"),
        "elevenlabs": make_account(ws, "elevenlabs", label="ElevenLabs studio"),
        "phonexia": make_account(
            ws, "phonexia", label="Phonexia on-prem", base_url="https://phx.example.org:8600"
        ),
        "deepaffects": make_account(ws, "deepaffects", label="DeepAffects"),
    }
    old = make_account(ws, "elevenlabs", label="Old ElevenLabs key")
    old.secrets = {}
    old.save()
    return made


def log_in(page, live_server, ws, username: str = "eve-editor") -> None:
    factories.user(ws, Role.EDITOR, username=username)
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw-test-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/w/{ws.slug}/")


def visible_groups(page) -> list[str]:
    return page.eval_on_selector_all(
        "fieldset[data-vendor]",
        "els => els.filter(e => !e.hidden).map(e => e.dataset.vendor)",
    )


def test_the_form_shows_only_the_chosen_vendors_options(live_server, browser_page, ws, accounts):
    page = browser_page
    log_in(page, live_server, ws)
    page.click("text=New conversation")
    page.wait_for_selector("h1:has-text('New conversation')")
    assert page.is_visible("text=Old ElevenLabs key is missing api_key")
    account = page.locator("select[name=account]")
    assert visible_groups(page) == ["deepaffects"]  # the first account by label

    account.select_option(label="ElevenLabs studio · ElevenLabs")
    assert visible_groups(page) == ["elevenlabs"]
    assert page.is_visible("select[name=elevenlabs_model_id]")
    assert not page.is_visible("input[name=elevenlabs_voice_id]")
    page.check("input[name=elevenlabs_product][value=pvc]")
    assert page.is_visible("input[name=elevenlabs_voice_id]")
    assert not page.is_visible("input[name=source_url]") and page.is_visible("[data-pvc-note]")
    page.check("input[name=elevenlabs_product][value=stt]")
    page.fill("input[name=source_url]", MEDIA_URL)
    page.screenshot(path=str(ARTIFACTS / "sync-new-conversation-form.png"), full_page=True)

    account.select_option(label="Phonexia on-prem · Phonexia")
    assert visible_groups(page) == ["phonexia"]
    assert not page.is_visible("input[name=source_url]") and page.is_visible("input[name=media]")

    account.select_option(label="DeepAffects · DeepAffects")
    page.fill("input[name=deepaffects_sample_rate]", "16000")
    page.click("button:has-text('Create and send')")
    page.wait_for_selector("text=Encoding: DeepAffects needs the recording's encoding.")
    assert visible_groups(page) == ["deepaffects"]  # the chosen account is kept
    assert page.input_value("input[name=source_url]") == MEDIA_URL
    page.screenshot(path=str(ARTIFACTS / "sync-new-conversation-errors.png"), full_page=True)
    assert not Job.objects.exists()


def test_a_job_progresses_live_and_its_speakers_appear_then_a_rejected_append_is_retried(
    live_server, browser_page, ws, accounts
):
    page = browser_page
    log_in(page, live_server, ws)
    page.goto(f"{live_server.url}/w/{ws.slug}/new/")
    page.select_option("select[name=account]", label="Symbl team · Symbl.ai")
    page.fill("input[name=source_url]", MEDIA_URL)
    page.fill("input[name=title]", "Weekly product sync")
    page.fill("input[name=speaker_count]", "2")
    page.click("button:has-text('Create and send')")
    page.wait_for_selector("#jobs .job-queued")
    page.evaluate("window.__sameDocument = true")
    assert page.get_attribute("#jobs", "hx-trigger") == "every 2s"
    job = Job.objects.get()
    assert page.locator("#speakers tr[data-member]").count() == 0
    assert page.is_visible("#speakers >> text=They appear when a Symbl.ai job is done.")

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        add_token(mocked)
        mocked.post(f"{BASE}/v1/process/audio/url", json=symbl("submit.json"), status=201)
        assert services.job_submit(job_id=job.pk).state == JobState.SUBMITTED
        add_job(mocked, "in_progress")
        assert services.job_poll(job_id=due(job).pk).state == JobState.PROCESSING
        page.wait_for_selector("#jobs .job-processing")
        page.screenshot(path=str(ARTIFACTS / "sync-conversation-active-job.png"), full_page=True)
        add_job(mocked, "completed")
        assert services.job_poll(job_id=due(job).pk).state == JobState.IMPORTING
        add_conversation(mocked)
        assert services.job_import(job_id=job.pk).state == JobState.DONE

    page.wait_for_selector("#jobs .job-done")
    page.wait_for_selector("#speakers .sync-synced")  # the body reloaded with the speakers
    members = Member.objects.live().filter(conversation=job.conversation)
    assert page.locator("#speakers tr[data-member]").count() == members.count() >= 3
    synced = members.filter(sync_state=SyncState.SYNCED).count()
    # Every Symbl member shows "synced"; the speaker of "unknown" lines is local: no badge.
    assert page.locator("#speakers .sync-synced").count() == synced == members.count() - 1
    assert page.get_attribute("#jobs", "hx-trigger") is None  # polling stopped
    assert page.evaluate("window.__sameDocument") is True
    page.screenshot(path=str(ARTIFACTS / "sync-conversation-imported.png"), full_page=True)

    page.click("text=Send a recording to Symbl.ai")
    page.fill("input[name=source_url]", "https://media.example.org/part2.mp3")
    page.click("button:has-text('Send to Symbl.ai')")
    page.wait_for_selector("#jobs .job-queued")
    append = Job.objects.get(kind="append")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        add_token(mocked)
        rejected = {"message": "URL is not public"}
        mocked.put(f"{BASE}/v1/process/audio/url/{CONV}", status=400, json=rejected)
        assert services.job_submit(job_id=append.pk).state == JobState.REJECTED
    page.wait_for_selector("#jobs .job-rejected")
    assert page.is_visible("#jobs >> text=URL is not public")
    page.screenshot(path=str(ARTIFACTS / "sync-conversation-failed-job.png"), full_page=True)

    page.click(f"#job-{append.pk} button:has-text('Retry')")
    page.wait_for_selector(f"#job-{append.pk} .job-queued")
    assert page.is_visible("text=Retrying part2.mp3: Queued.")
    append.refresh_from_db()
    assert (append.state, append.attempts, append.error_message) == ("queued", 0, "")

    page.click("text=Demo team >> nth=0")
    page.wait_for_selector("table.conversations")
    row = page.locator("table.conversations tr", has_text="Weekly product sync")
    assert row.locator(".job-queued").inner_text() == "Queued"
    page.screenshot(path=str(ARTIFACTS / "sync-conversation-list.png"), full_page=True)


def test_member_push_states_update_themselves_and_a_failed_push_is_retried(
    live_server, browser_page, ws, accounts
):
    conv = vendor_conversation(ws, accounts["symbl"], members=4, messages=24, title="Board call")
    synced, pending, failed, _local = conv.members.order_by("position")
    Member.objects.filter(pk__in=[synced.pk, pending.pk]).update(sync_state=SyncState.SYNCED)
    Member.objects.filter(pk=pending.pk).update(name="Grace Hopper", sync_state="pending")
    Member.objects.filter(pk=failed.pk).update(
        name="Alan Turing",
        sync_state=SyncState.FAILED,
        sync_error="Symbl answered PUT /v1/conversations/vendor-conv-1/members/spk2 with "
        "HTTP 404: Conversation ID is invalid or does not exist",
    )
    page = browser_page
    log_in(page, live_server, ws)
    page.goto(f"{live_server.url}/c/{conv.pk}/")
    page.evaluate("window.__sameDocument = true")
    assert page.locator("#speakers .sync-synced").count() == 1
    assert page.locator("#speakers .sync-pending").count() == 1
    assert page.is_visible("#speakers >> text=Not saved at Symbl.ai: Symbl answered PUT")
    page.screenshot(path=str(ARTIFACTS / "sync-speakers-states.png"), full_page=True)

    # While a rename form is open the panel does not refresh (it would close the form).
    page.click(f"#member-{synced.pk} summary:has-text('Rename')")
    page.fill(f"#member-{synced.pk} input[name=name]", "Half typed")
    Member.objects.filter(pk=pending.pk).update(sync_state=SyncState.SYNCED)  # the push is done
    page.wait_for_timeout(4500)
    assert page.locator("#speakers .sync-pending").count() == 1
    assert page.input_value(f"#member-{synced.pk} input[name=name]") == "Half typed"
    page.click(f"#member-{synced.pk} summary:has-text('Rename')")  # closed: refreshing resumes
    page.wait_for_function("() => document.querySelectorAll('#speakers .sync-synced').length === 2")
    assert page.get_attribute("#speakers", "hx-trigger") is None

    page.click(f"#member-{failed.pk}-sync button:has-text('Retry sync')")
    page.wait_for_selector(f"#member-{failed.pk} .sync-pending")
    assert page.is_visible("text=Sending Alan Turing to Symbl.ai again.")
    assert Member.objects.get(pk=failed.pk).sync_state == SyncState.PENDING
    assert page.evaluate("window.__sameDocument") is True


def test_without_javascript_every_group_shows_and_the_form_still_works(
    live_server, browser_page, ws, accounts
):
    log_in(browser_page, live_server, ws)
    context = browser_page.context.browser.new_context(
        java_script_enabled=False, viewport={"width": 1440, "height": 1000}
    )
    context.add_cookies(browser_page.context.cookies())
    page = context.new_page()
    page.goto(f"{live_server.url}/w/{ws.slug}/new/")
    assert visible_groups(page) == ["symbl", "elevenlabs", "phonexia", "deepaffects"]
    assert page.is_visible("text=(only for Phonexia accounts)")
    page.screenshot(path=str(ARTIFACTS / "sync-new-conversation-nojs.png"), full_page=True)
    page.select_option("select[name=account]", label="Symbl team · Symbl.ai")
    page.fill("input[name=source_url]", MEDIA_URL)
    page.click("button:has-text('Create and send')")
    page.wait_for_selector("#jobs .job-queued")
    assert Job.objects.get().account == accounts["symbl"]
    context.close()
