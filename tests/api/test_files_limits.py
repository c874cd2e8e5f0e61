"""Import uploads over the API: the size cap (413 stating the limit, before the body is read
when ``Content-Length`` announces it), large files imported by a background job the client
follows at ``GET /jobs/{id}``, and hostile files that are a 400 naming the line or field."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from diarization_portal.conversations import tasks
from diarization_portal.conversations.models import Conversation, Job, JobState, Member, Message
from diarization_portal.conversations.services import file_jobs
from tests.api.conftest import bearer
from tests.conftest import SAMPLES

pytestmark = pytest.mark.django_db
RTTM = (SAMPLES / "customer-call.rttm").read_bytes()


@pytest.fixture
def auth(people):
    return bearer(people["editor"])


@pytest.fixture
def queued(monkeypatch, settings, tmp_path):
    """Background imports: the stored file goes to a temporary MEDIA_ROOT, and the enqueued
    task is recorded instead of reaching a cluster. Tests that use it commit for real
    (``transaction=True``) so that what runs on commit runs."""
    settings.MEDIA_ROOT = tmp_path / "media"
    calls: list[tuple] = []
    monkeypatch.setattr(file_jobs, "async_task", lambda *args: calls.append(args))
    return calls


def send(client, auth, data: bytes, name: str = "call.rttm", url=None, **extra):
    url = url or reverse("api:conversation_import")
    return client.post(url, {"file": SimpleUploadedFile(name, data)}, **auth, **extra)


def stored_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# -- the cap ----------------------------------------------------------------------------------


def test_a_file_over_the_limit_is_413_stating_it(client, ws, auth, settings):
    settings.IMPORT_MAX_BYTES = len(RTTM) - 1
    response = send(client, auth, RTTM)
    assert response.status_code == 413
    body = response.json()
    assert body["type"] == "file_too_large" and body["limitBytes"] == len(RTTM) - 1
    assert f"limit of 4.05 KB ({len(RTTM) - 1} bytes)" in body["message"]
    assert body["errors"][0]["loc"] == ["body", "file"]
    assert not Conversation.objects.exists()


def test_a_file_at_the_limit_is_imported(client, ws, auth, settings):
    settings.IMPORT_MAX_BYTES = len(RTTM)
    assert send(client, auth, RTTM).status_code == 201


def test_appending_a_file_over_the_limit_is_413(client, ws, auth, settings):
    conv = Conversation.objects.create(workspace=ws, title="Call")
    settings.IMPORT_MAX_BYTES = 100
    url = reverse("api:conversation_append_import", args=[conv.pk])
    response = send(client, auth, RTTM, url=url)
    assert response.status_code == 413 and response.json()["limitBytes"] == 100
    assert not Message.objects.exists()


def test_an_announced_large_body_is_413_before_it_is_read(client, ws, auth, settings):
    settings.IMPORT_MAX_BYTES = 1000
    # The test client's payload cannot be read past its real length (it raises): a 413 here
    # means the body was never read.
    response = send(client, auth, RTTM, CONTENT_LENGTH=str(500 * 1024 * 1024))
    assert response.status_code == 413
    assert response.json()["type"] == "file_too_large"


# -- background imports -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_large_file_answers_202_with_a_queued_job_then_imports(
    client, ws, auth, settings, queued
):
    settings.IMPORT_BACKGROUND_BYTES = 100
    response = send(client, auth, RTTM, name="customer-call.rttm")
    assert response.status_code == 202, response.content
    body = response.json()
    job = Job.objects.get(pk=int(body["jobId"]))
    assert body == {
        "conversationId": str(job.conversation_id),
        "jobId": str(job.pk),
        "state": "queued",
    }
    assert [call[1] for call in queued] == [job.pk]
    assert not Message.objects.exists() and len(stored_files(settings)) == 1

    assert tasks.import_file(job.pk) == JobState.DONE
    job.refresh_from_db()
    conv = job.conversation
    assert conv.title == "customer-call" and conv.source_format == "rttm"
    assert Message.objects.filter(conversation=conv, job=job).count() == RTTM.count(b"SPEAKER")
    assert not job.media and stored_files(settings) == []
    detail = client.get(reverse("api:job_detail", args=[job.pk]), **auth).json()
    assert detail["state"] == "done" and detail["kind"] == "import"
    # The task run again (a duplicate delivery) does nothing.
    assert tasks.import_file(job.pk).startswith("skipped")


@pytest.mark.django_db(transaction=True)
def test_a_large_bad_file_rejects_its_job_naming_the_line(client, ws, auth, settings, queued):
    settings.IMPORT_BACKGROUND_BYTES = 100
    bad = RTTM + b"SPEAKER call 1 oops 1.0 <NA> <NA> spk <NA> <NA>\n"
    job = Job.objects.get(pk=int(send(client, auth, bad).json()["jobId"]))
    assert tasks.import_file(job.pk) == JobState.REJECTED
    job.refresh_from_db()
    line = bad.count(b"\n")
    assert job.error_type == "parse_error" and f"line {line}" in job.error_message
    assert not Message.objects.exists() and not Member.objects.exists()
    assert stored_files(settings) == []
    detail = client.get(reverse("api:job_detail", args=[job.pk]), **auth).json()
    assert detail["state"] == "rejected" and f"line {line}" in detail["errorMessage"]


@pytest.mark.django_db(transaction=True)
def test_a_large_file_appended_starts_where_the_conversation_ends(
    client, ws, auth, settings, queued
):
    first = send(client, auth, RTTM).json()
    conv = Conversation.objects.get(pk=int(first["conversationId"]))
    end = max(Message.objects.filter(conversation=conv).values_list("end", flat=True))
    settings.IMPORT_BACKGROUND_BYTES = 100
    url = reverse("api:conversation_append_import", args=[conv.pk])
    response = send(client, auth, b";; part 2\n" + RTTM, name="part2.rttm", url=url)
    assert response.status_code == 202
    job = Job.objects.get(pk=int(response.json()["jobId"]))
    assert tasks.import_file(job.pk) == JobState.DONE
    starts = Message.objects.filter(job=job).values_list("start", flat=True)
    assert min(starts) >= end
    assert Conversation.objects.count() == 1


# -- hostile files ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "where"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "deep.json", "nested too deeply"),
        (
            json.dumps({"messages": [], "members": [{"id": "a", "email": "a" * 260 + "@x.org"}]}),
            "long.json",
            "email is 266 characters long",
        ),
        (
            f"SPEAKER c 1 0 1 <NA> <NA> {'x' * 201} <NA> <NA>\n",
            "long.rttm",
            "label is 201 characters long",
        ),
        ("SPEAKER c 1 0 1 <NA> <NA> a\x00b <NA> <NA>\n", "nul.rttm", "NUL character"),
    ],
    ids=["deep-json", "long-email", "long-label", "nul"],
)
def test_hostile_files_are_a_400_naming_the_fault(client, ws, auth, data, name, where):
    data = data.encode() if isinstance(data, str) else data
    response = send(client, auth, data, name=name)
    assert response.status_code == 400, response.content
    assert where in response.json()["message"]
    assert not Conversation.objects.exists()
