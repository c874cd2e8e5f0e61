"""The dashboard's import form: a file over the import limit is a 413 page stating it (before
the body is read when the request announces it), a large file is imported by a background job
that the conversation's job panel follows, and a hostile file is a form error naming the
line or field."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from diarization_portal.conversations import tasks
from diarization_portal.conversations.models import Conversation, Job, JobState, Message
from diarization_portal.conversations.services import file_jobs
from tests.conftest import SAMPLES
from tests.dashboard.conftest import HX

pytestmark = pytest.mark.django_db
RTTM = (SAMPLES / "customer-call.rttm").read_bytes()


def upload(client, ws, data: bytes, name: str = "call.rttm", **extra):
    url = reverse("dashboard:conversation_import", args=[ws.slug])
    return client.post(url, {"file": SimpleUploadedFile(name, data), "format": "auto"}, **extra)


@pytest.fixture
def queued(monkeypatch):
    calls: list[tuple] = []
    monkeypatch.setattr(file_jobs, "async_task", lambda *args: calls.append(args))
    return calls


def test_a_file_over_the_limit_is_a_413_form_stating_it(client, ws, editor, settings):
    settings.IMPORT_MAX_BYTES = 1000
    response = upload(client, ws, RTTM)
    assert response.status_code == 413
    html = response.content.decode()
    assert "larger than the import limit of" in html and "limit of 1000 bytes." in html
    assert 'role="alert"' in html
    assert not Conversation.objects.exists()


def test_an_announced_large_body_is_a_413_form_before_it_is_read(client, ws, editor, settings):
    settings.IMPORT_MAX_BYTES = 1000
    response = upload(client, ws, RTTM, CONTENT_LENGTH=str(500 * 1024 * 1024))
    assert response.status_code == 413
    assert "limit of 1000 bytes." in response.content.decode()
    url = reverse("dashboard:recording_append", args=[Conversation.objects.create(workspace=ws).pk])
    response = client.post(
        url, {"file": SimpleUploadedFile("a.rttm", RTTM)}, CONTENT_LENGTH="9" * 9
    )
    assert response.status_code == 413 and "limit of 1000 bytes." in response.content.decode()


def test_an_announced_large_body_of_a_stranger_is_not_answered_with_the_form(client, ws, settings):
    settings.IMPORT_MAX_BYTES = 1000
    response = upload(client, ws, RTTM, CONTENT_LENGTH=str(500 * 1024 * 1024))
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.django_db(transaction=True)
def test_a_large_file_is_imported_by_a_job_the_panel_follows(client, ws, editor, settings, queued):
    settings.IMPORT_BACKGROUND_BYTES = 100
    response = upload(client, ws, RTTM, name="customer-call.rttm")
    job = Job.objects.get()
    assert response.status_code == 302
    assert (
        response["Location"]
        == reverse("dashboard:conversation_detail", args=[job.conversation_id]) + "#jobs"
    )
    page = client.get(response["Location"]).content.decode()
    assert "Importing customer-call.rttm in the background" in page
    assert f'id="job-{job.pk}"' in page and "Queued" in page and "every 2s" in page

    assert tasks.import_file(job.pk) == JobState.DONE
    panel_url = reverse("dashboard:job_panel", args=[job.conversation_id])
    panel = client.get(f"{panel_url}?active={job.pk}", **HX)
    assert "Done" in panel.content.decode()
    assert panel["HX-Trigger"]  # the page reloads the transcript
    assert Message.objects.filter(job=job).count() == RTTM.count(b"SPEAKER")


@pytest.mark.django_db(transaction=True)
def test_a_large_bad_file_shows_the_jobs_error_with_the_line(client, ws, editor, settings, queued):
    settings.IMPORT_BACKGROUND_BYTES = 100
    bad = RTTM + b"SPEAKER call 1 0.5 -3 <NA> <NA> spk <NA> <NA>\n"
    upload(client, ws, bad)
    job = Job.objects.get()
    assert tasks.import_file(job.pk) == JobState.REJECTED
    page = client.get(reverse("dashboard:conversation_detail", args=[job.conversation_id]))
    html, line = page.content.decode(), bad.count(b"\n")
    assert "Rejected" in html and f"line {line}" in html and "parse_error" in html
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    ("data", "name", "where"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "deep.json", "nested too deeply"),
        (f"SPEAKER c 1 0 1 <NA> <NA> {'x' * 201} <NA> <NA>\n".encode(), "l.rttm", "label is 201"),
        (b"SPEAKER c 1 0 1 <NA> <NA> a\x00b <NA> <NA>\n", "nul.rttm", "NUL character"),
    ],
    ids=["deep-json", "long-label", "nul"],
)
def test_hostile_files_are_a_form_error_naming_the_fault(client, ws, editor, data, name, where):
    response = upload(client, ws, data, name=name)
    assert response.status_code == 400
    assert where in response.content.decode()
    assert not Conversation.objects.exists()
