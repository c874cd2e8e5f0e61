"""The job panel and the list's job column: htmx fragments, polling only while a job is
active, the refresh of the conversation when a job is done, retries, and query counts of the
panels and pages."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from diarization_portal.conversations.models import Job, JobKind, JobState
from diarization_portal.workspaces.models import Role
from tests import factories
from tests.broker import queued

from .conftest import HX, merged_duplicate, polls, set_states, vendor_conversation

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sync_settings")]


def panel_url(conv, active: str = "") -> str:
    url = reverse("dashboard:job_panel", args=[conv.pk])
    return f"{url}?active={active}" if active else url


def retry_url(conv, job) -> str:
    return reverse("dashboard:job_retry", args=[conv.pk, job.pk])


def speakers_url(conv) -> str:
    return reverse("dashboard:speakers_panel", args=[conv.pk])


def push_url(conv, member) -> str:
    return reverse("dashboard:member_push_retry", args=[conv.pk, member.pk])


def fail(job: Job, *, state: str = JobState.FAILED, **fields) -> Job:
    fields.setdefault("error_type", "http_401")
    fields.setdefault("error_message", "Symbl answered POST /v1/process/audio/url with HTTP 401")
    Job.objects.filter(pk=job.pk).update(state=state, finished_at=timezone.now(), **fields)
    return Job.objects.get(pk=job.pk)


# --- job panel ------------------------------------------------------------------------------


def test_an_active_job_makes_the_panel_poll_and_shows_its_progress(client, ws, symbl, editor):
    conv = vendor_conversation(ws, symbl, state=JobState.PROCESSING)
    job = conv.jobs.get()
    Job.objects.filter(pk=job.pk).update(
        attempts=2, next_check_at=timezone.now() + timezone.timedelta(seconds=30)
    )
    html = client.get(panel_url(conv), **HX).content.decode()
    assert html.lstrip().startswith('<section class="card" id="jobs"')
    assert polls(html, "jobs")
    assert f'hx-get="{panel_url(conv, str(job.pk))}"' in html
    row = html[html.index(f'id="job-{job.pk}"') :]
    assert "Process recording" in row and "part1.mp3" in row and "symbl main" in row
    assert 'class="job job-processing"' in row and '<td class="num">2</td>' in row
    assert re.search(r"in (29|30) s", row)
    page = client.get(reverse("dashboard:conversation_detail", args=[conv.pk])).content.decode()
    assert polls(page, "jobs")
    assert 'hx-trigger="conversation-imported from:body"' in page


@pytest.mark.parametrize("state", [JobState.DONE, JobState.FAILED, JobState.REJECTED])
def test_nothing_active_means_no_polling(client, ws, symbl, editor, state):
    conv = vendor_conversation(ws, symbl, state=state, jobs=2)
    html = client.get(panel_url(conv), **HX).content.decode()
    assert not polls(html, "jobs") and "hx-get" not in html.split(">", 1)[0]
    page = client.get(reverse("dashboard:conversation_detail", args=[conv.pk])).content.decode()
    assert not polls(page, "jobs")


def test_a_job_seen_active_that_is_done_refreshes_the_conversation(client, ws, symbl, editor):
    conv = vendor_conversation(ws, symbl, state=JobState.IMPORTING)
    job = conv.jobs.get()
    still = client.get(panel_url(conv, str(job.pk)), **HX)
    assert "HX-Trigger" not in still.headers
    Job.objects.filter(pk=job.pk).update(state=JobState.DONE, finished_at=timezone.now())
    done = client.get(panel_url(conv, str(job.pk)), **HX)
    assert "conversation-imported" in json.loads(done.headers["HX-Trigger"])
    assert not polls(done.content.decode(), "jobs")
    # A job that was already done when the page was drawn triggers nothing.
    assert "HX-Trigger" not in client.get(panel_url(conv), **HX).headers


def test_the_refreshed_body_holds_the_imported_speakers(client, ws, symbl, editor):
    conv = vendor_conversation(ws, symbl, members=4, messages=12)
    url = reverse("dashboard:conversation_detail", args=[conv.pk])
    html = client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="conversation-body").content
    html = html.decode()
    assert html.lstrip().startswith('<div id="conversation-body"')
    assert html.count('class="member-name" data-member=') >= 4


def test_failed_and_rejected_jobs_show_the_error_and_a_retry_button(client, ws, symbl, editor):
    conv = vendor_conversation(ws, symbl, jobs=2)
    first, second = conv.jobs.order_by("pk")
    fail(first)
    fail(second, state=JobState.REJECTED, error_type="http_400", error_message="URL is not public")
    html = client.get(panel_url(conv), **HX).content.decode()
    assert "<code>http_401</code> Symbl answered POST /v1/process/audio/url with HTTP 401" in html
    assert "<code>http_400</code> URL is not public" in html
    assert html.count(">Retry</button>") == 2
    assert f'hx-post="{retry_url(conv, first)}"' in html


def test_viewers_see_states_but_no_retry_and_cannot_retry(client, ws, symbl):
    conv = vendor_conversation(ws, symbl)
    job = fail(conv.jobs.get())
    client.force_login(factories.user(ws, Role.VIEWER))
    html = client.get(panel_url(conv), **HX).content.decode()
    assert "job-failed" in html and ">Retry</button>" not in html
    assert client.post(retry_url(conv, job), **HX).status_code == 403
    assert Job.objects.get(pk=job.pk).state == JobState.FAILED and queued() == []


def test_other_workspaces_get_404_for_panels_and_retries(client, ws, symbl):
    conv = vendor_conversation(ws, symbl)
    job = fail(conv.jobs.get())
    member = conv.members.first()
    client.force_login(factories.user(factories.workspace("Other"), Role.ADMIN))
    assert client.get(panel_url(conv), **HX).status_code == 404
    assert client.get(speakers_url(conv), **HX).status_code == 404
    assert client.post(retry_url(conv, job), **HX).status_code == 404
    assert client.post(push_url(conv, member), **HX).status_code == 404


def test_file_imports_have_no_retry(client, ws, editor):
    conv = factories.conversation(ws)
    Job.objects.create(conversation=conv, kind=JobKind.IMPORT, state=JobState.FAILED)
    html = client.get(panel_url(conv), **HX).content.decode()
    assert "job-failed" in html and ">Retry</button>" not in html


def test_retry_requeues_a_never_submitted_job_and_the_panel_polls_again(
    client, ws, symbl, editor, django_capture_on_commit_callbacks
):
    conv = vendor_conversation(ws, symbl)
    job = fail(conv.jobs.get(), state=JobState.REJECTED)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(retry_url(conv, job), **HX)
    html = response.content.decode()
    assert "Retrying part1.mp3: Queued." in html
    assert polls(html, "jobs") and 'class="job job-queued"' in html
    job = Job.objects.get(pk=job.pk)
    assert (job.state, job.attempts, job.error_message) == (JobState.QUEUED, 0, "")
    assert queued() == [("submit_job", (job.pk,))]


def test_retry_of_an_accepted_job_resumes_polling(
    client, ws, symbl, editor, django_capture_on_commit_callbacks
):
    conv = vendor_conversation(ws, symbl)
    job = fail(conv.jobs.get(), submitted_at=timezone.now(), vendor_job_id="job-1", attempts=8)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(retry_url(conv, job))
    assert response.status_code == 302 and response.url.endswith("#jobs")
    job = Job.objects.get(pk=job.pk)
    assert (job.state, job.attempts, job.vendor_job_id) == (JobState.SUBMITTED, 0, "job-1")
    assert queued() == [("poll_job", (job.pk,))]
    assert "Retrying part1.mp3: Submitted." in client.get(response.url).content.decode()


@pytest.mark.parametrize("state", [JobState.DONE, JobState.PROCESSING])
def test_retry_of_a_done_or_active_job_is_refused_with_the_reason(
    client, ws, symbl, editor, django_capture_on_commit_callbacks, state
):
    conv = vendor_conversation(ws, symbl, state=state)
    job = conv.jobs.get()
    with django_capture_on_commit_callbacks(execute=True):
        html = client.post(retry_url(conv, job), **HX).content.decode()
    assert f"Cannot retry: only failed or rejected jobs can be retried; this one is {state}" in html
    assert Job.objects.get(pk=job.pk).state == state and queued() == []


def test_a_job_of_another_conversation_is_a_404(client, ws, symbl, editor):
    conv, other = vendor_conversation(ws, symbl), vendor_conversation(ws, symbl)
    job = fail(other.jobs.get())
    assert client.post(retry_url(conv, job), **HX).status_code == 404


def test_plain_gets_of_fragments_go_to_the_conversation_page(client, ws, symbl, editor):
    conv = vendor_conversation(ws, symbl)
    assert client.get(panel_url(conv)).url.endswith(f"/c/{conv.pk}/#jobs")
    assert client.get(speakers_url(conv)).url.endswith(f"/c/{conv.pk}/#speakers")


# --- conversation list ------------------------------------------------------------------------


def test_the_list_shows_each_conversations_latest_job_state(client, ws, symbl, editor):
    older = vendor_conversation(ws, symbl, title="Older call", jobs=2)
    fail(older.jobs.order_by("pk").last())  # the append failed, the process is done
    vendor_conversation(ws, symbl, title="Running call", state=JobState.PROCESSING)
    factories.conversation(ws, title="No jobs")
    html = client.get(reverse("dashboard:conversation_list", args=[ws.slug])).content.decode()

    def row(title: str) -> str:
        start = html.index(title)
        return html[start : html.index("</tr>", start)]

    assert 'class="job job-failed" title="Symbl answered' in row("Older call")
    assert '>Failed</span> <small class="muted">Append recording' in row("Older call")
    assert ">Processing</span>" in row("Running call")
    assert "job-" not in row("No jobs")


# --- query counts -----------------------------------------------------------------------------


class QueryCount(CaptureQueriesContext):
    def sql(self) -> str:
        return "\n".join(q["sql"] for q in self.captured_queries)


def count(client, url: str, **extra) -> QueryCount:
    with QueryCount(connection) as ctx:
        assert client.get(url, **extra).status_code == 200
    return ctx


def test_job_panel_queries_do_not_grow_with_jobs(client, ws, symbl, editor):
    one = vendor_conversation(ws, symbl, jobs=1, state=JobState.PROCESSING)
    many = vendor_conversation(ws, symbl, jobs=20, state=JobState.PROCESSING)
    fail(many.jobs.first())
    few_q = count(client, panel_url(one), **HX)
    many_q = count(client, panel_url(many), **HX)
    assert len(few_q) == len(many_q), f"{len(few_q)} vs {len(many_q)}:\n{many_q.sql()}"
    assert len(few_q) <= 5, few_q.sql()


def test_detail_page_queries_do_not_grow_with_jobs_messages_or_pushes(client, ws, symbl, editor):
    small = vendor_conversation(ws, symbl, jobs=1, members=3, messages=10)
    big = vendor_conversation(ws, symbl, jobs=20, members=8, messages=1000, insights=50)
    set_states(big, "failed", "pending", "synced", error="HTTP 500")
    merged_duplicate(big, big.members.order_by("position")[4])
    url = reverse("dashboard:conversation_detail", args=[small.pk])
    few_q = count(client, url)
    many_q = count(client, reverse("dashboard:conversation_detail", args=[big.pk]))
    assert len(few_q) == len(many_q), f"{len(few_q)} vs {len(many_q)}:\n{many_q.sql()}"
    assert len(few_q) <= 17, few_q.sql()  # 13, + up to 4 for the duplicate suggestions


def test_speakers_panel_queries_do_not_grow_with_members(client, ws, symbl, editor):
    small = vendor_conversation(ws, symbl, members=2, messages=10)
    big = vendor_conversation(ws, symbl, members=12, messages=1000)
    set_states(big, *["pending"] * 12)
    few_q = count(client, speakers_url(small), **HX)
    many_q = count(client, speakers_url(big), **HX)
    assert len(few_q) == len(many_q), f"{len(few_q)} vs {len(many_q)}:\n{many_q.sql()}"


def test_list_page_queries_do_not_grow_with_jobs_or_messages(client, ws, symbl, editor):
    url = reverse("dashboard:conversation_list", args=[ws.slug])
    vendor_conversation(ws, symbl, jobs=1, messages=10)
    few_q = count(client, url)
    for n in range(3):
        vendor_conversation(ws, symbl, jobs=20, messages=1000, title=f"big {n}")
    many_q = count(client, url)
    assert len(few_q) == len(many_q), f"{len(few_q)} vs {len(many_q)}:\n{many_q.sql()}"
    assert len(few_q) <= 6, few_q.sql()
