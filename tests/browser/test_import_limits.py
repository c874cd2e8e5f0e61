"""In a real browser: a file over the import limit shows the limit on the form (413), and a
large file is imported by a background job the conversation page follows until it is done,
or shows the job's error naming the line. Screenshots in test-artifacts/."""

from __future__ import annotations

import pytest

from diarization_portal.conversations import tasks
from diarization_portal.conversations.models import Job
from diarization_portal.conversations.services import file_jobs
from diarization_portal.workspaces.models import Role
from tests import factories
from tests.browser._login import log_in
from tests.browser.conftest import ARTIFACTS
from tests.conftest import SAMPLES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
RTTM = SAMPLES / "customer-call.rttm"


@pytest.fixture
def editor(live_server, browser_page, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setattr(file_jobs, "async_task", lambda *args: None)  # run below, by hand
    ws = factories.workspace("Demo team")
    factories.user(ws, Role.EDITOR, username="ed-editor")
    log_in(browser_page, live_server, "ed-editor")
    return ws


def choose(page, path) -> None:
    page.set_input_files("input[name=file]", str(path))
    page.get_by_role("button", name="Import").click()
    page.wait_for_load_state()


def test_a_file_over_the_limit_shows_the_limit(live_server, browser_page, editor, settings):
    settings.IMPORT_MAX_BYTES = 1000
    page = browser_page
    page.goto(f"{live_server.url}/w/{editor.slug}/import/")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        choose(page, RTTM)
    assert answer.value.status == 413
    alert = page.get_by_role("alert")
    assert "larger than the import limit" in alert.inner_text()
    assert "limit of 1000 bytes." in alert.inner_text()
    page.screenshot(path=str(ARTIFACTS / "import-too-large.png"), full_page=True)


def test_a_large_file_is_followed_in_the_job_panel(
    live_server, browser_page, editor, settings, tmp_path
):
    settings.IMPORT_BACKGROUND_BYTES = 100
    page = browser_page
    page.goto(f"{live_server.url}/w/{editor.slug}/import/")
    choose(page, RTTM)
    assert page.get_by_text("in the background").is_visible()
    job = Job.objects.get()
    row = page.locator(f"#job-{job.pk}")
    assert "Queued" in row.inner_text()
    page.screenshot(path=str(ARTIFACTS / "import-background-queued.png"), full_page=True)
    tasks.import_file(job.pk)
    page.wait_for_selector(f"#job-{job.pk} .job-done")  # the panel polls, then the body reloads
    page.wait_for_selector(".turn, .message", timeout=15_000)
    page.screenshot(path=str(ARTIFACTS / "import-background-done.png"), full_page=True)

    bad = tmp_path / "broken.rttm"
    bad.write_bytes(RTTM.read_bytes() + b"SPEAKER call 1 0.5 -3 <NA> <NA> spk <NA> <NA>\n")
    page.goto(f"{live_server.url}/w/{editor.slug}/import/")
    choose(page, bad)
    failed = Job.objects.exclude(pk=job.pk).get()
    tasks.import_file(failed.pk)
    page.wait_for_selector(".job-error", timeout=15_000)
    error = page.locator(".job-error").inner_text()
    assert "parse_error" in error and "line " in error and "negative duration" in error
    page.screenshot(path=str(ARTIFACTS / "import-background-rejected.png"), full_page=True)
