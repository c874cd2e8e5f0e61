"""Jobs over the API: one job, a conversation's jobs, Symbl's job status, 404 across workspaces
and the list's query count."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from diarization_portal.conversations.models import Job, JobKind, JobState
from diarization_portal.sync.models import ProviderAccount
from tests import factories
from tests.api.conftest import bearer, count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def conv(ws):
    return factories.conversation(ws, members=2, messages=4)


@pytest.fixture
def account(ws):
    account = ProviderAccount(workspace=ws, vendor="symbl", label="Symbl main")
    account.set_secrets(app_id="id-1", app_secret="secret-1")
    account.save()
    return account


@pytest.fixture
def auth(people):
    return bearer(people["viewer"])


def vendor_job(conv, account, **fields) -> Job:
    return Job.objects.create(conversation=conv, kind=JobKind.PROCESS, account=account, **fields)


def test_a_job_has_its_state_vendor_and_times(client, conv, account, auth):
    job = vendor_job(
        conv,
        account,
        state=JobState.FAILED,
        attempts=8,
        error_type="http_503",
        error_message="gave up after 8 attempts: Service Unavailable",
        source_name="call.mp3",
        speaker_count=2,
        language="en-US",
        vendor_job_id="3d1f0b7e",
        vendor_conversation_id="5120334411530240",
        submitted_at=datetime(2025, 3, 4, 10, 0, 0, tzinfo=UTC),
        finished_at=datetime(2025, 3, 4, 10, 5, 0, 250000, tzinfo=UTC),
    )
    response = client.get(reverse("api:job_detail", args=[job.pk]), **auth)
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "id": str(job.pk),
        "conversationId": str(conv.pk),
        "kind": "process",
        "state": "failed",
        "vendor": "symbl",
        "accountId": str(account.pk),
        "sourceName": "call.mp3",
        "speakerCount": 2,
        "language": "en-US",
        "vendorJobId": "3d1f0b7e",
        "vendorConversationId": "5120334411530240",
        "timeOffset": 0.0,
        "attempts": 8,
        "errorType": "http_503",
        "errorMessage": "gave up after 8 attempts: Service Unavailable",
        "createdAt": body["createdAt"],
        "updatedAt": body["updatedAt"],
        "submittedAt": "2025-03-04T10:00:00.000Z",
        "nextCheckAt": None,
        "finishedAt": "2025-03-04T10:05:00.250Z",
    }
    # Nothing secret: no webhook token, no vendor payload.
    assert job.webhook_token not in response.content.decode()


def test_file_imports_and_jobs_of_deleted_accounts_name_their_vendor(client, conv, account, auth):
    imported = Job.objects.create(conversation=conv, kind=JobKind.IMPORT, state=JobState.DONE)
    orphan = vendor_job(conv, account)
    conv.vendor = "symbl"
    conv.save()
    account.delete()
    got = {
        j["id"]: j
        for j in client.get(reverse("api:job_list", args=[conv.pk]), **auth).json()["jobs"]
    }
    assert (got[str(imported.pk)]["vendor"], got[str(imported.pk)]["accountId"]) == ("file", None)
    assert (got[str(orphan.pk)]["vendor"], got[str(orphan.pk)]["accountId"]) == ("symbl", None)


@pytest.mark.parametrize(
    "state, status",
    [
        (JobState.QUEUED, "scheduled"),
        (JobState.SUBMITTED, "in_progress"),
        (JobState.PROCESSING, "in_progress"),
        (JobState.IMPORTING, "in_progress"),
        (JobState.DONE, "completed"),
        (JobState.FAILED, "failed"),
        (JobState.REJECTED, "failed"),
    ],
)
def test_symbl_job_status_maps_every_state(client, conv, account, auth, state, status):
    job = vendor_job(conv, account, state=state)
    response = client.get(reverse("api:job_status", args=[job.pk]), **auth)
    assert response.status_code == 200
    assert response.json() == {"id": str(job.pk), "status": status}


def test_a_conversations_jobs_are_oldest_first_and_paged(client, conv, account, auth):
    jobs = [vendor_job(conv, account) for _ in range(3)]
    other = factories.conversation(conv.workspace, members=1, messages=1)
    vendor_job(other, account)
    url = reverse("api:job_list", args=[conv.pk])
    body = client.get(url, **auth).json()
    assert [j["id"] for j in body["jobs"]] == [str(j.pk) for j in jobs]
    assert (body["total"], body["limit"], body["offset"]) == (3, 100, 0)
    page = client.get(url, {"limit": 1, "offset": 1}, **auth).json()
    assert [j["id"] for j in page["jobs"]] == [str(jobs[1].pk)]
    bad = client.get(url, {"limit": 0}, **auth)
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["loc"] == ["query", "limit"]


@pytest.mark.parametrize("name", ["job_detail", "job_status"])
def test_a_job_of_another_workspace_is_404_like_a_missing_one(client, people, name):
    theirs = factories.conversation(factories.workspace("Theirs"), members=1, messages=1)
    job = Job.objects.create(conversation=theirs, kind=JobKind.IMPORT)
    auth = bearer(people["admin"])
    for job_id in (job.pk, 10**9, 2**63):
        response = client.get(reverse(f"api:{name}", args=[job_id]), **auth)
        assert response.status_code == 404
        assert response.json() == {"type": "not_found", "message": "No such job", "errors": []}


def test_jobs_list_query_count_does_not_grow_with_jobs_or_messages(client, ws, account, auth):
    small = factories.conversation(ws, members=1, messages=2)
    large = factories.conversation(ws, members=5, messages=500)
    vendor_job(small, account)
    for _ in range(30):
        vendor_job(large, account)
        Job.objects.create(conversation=large, kind=JobKind.IMPORT)
    url = lambda c: reverse("api:job_list", args=[c.pk])  # noqa: E731
    client.get(url(small), **auth)
    few = count_queries(client, url(small), **auth)
    many = count_queries(client, url(large), **auth)
    assert len(many) == len(few), many.sql()
    assert len(few) <= 5, few.sql()


# --- retry ------------------------------------------------------------------------------------

TASKS = "diarization_portal.sync.tasks"


def retry(client, job_id, headers: dict):
    return client.post(reverse("api:job_retry", args=[job_id]), **headers)


def frozen(job: Job) -> tuple:
    job.refresh_from_db()
    return (job.state, job.attempts, job.error_type, job.error_message, job.finished_at)


def test_an_editor_retries_a_failed_poll_from_the_poll(
    client, conv, account, people, django_capture_on_commit_callbacks
):
    job = vendor_job(
        conv,
        account,
        state=JobState.FAILED,
        attempts=8,
        error_type="http_503",
        error_message="gave up after 8 attempts: Service Unavailable",
        vendor_job_id="3d1f0b7e",
        submitted_at=datetime(2025, 3, 4, 10, 0, 0, tzinfo=UTC),
        finished_at=datetime(2025, 3, 4, 10, 5, 0, tzinfo=UTC),
    )
    with django_capture_on_commit_callbacks() as callbacks:
        response = retry(client, job.pk, bearer(people["editor"]))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == str(job.pk) and body["vendor"] == "symbl"
    assert (body["state"], body["attempts"], body["errorType"], body["errorMessage"]) == (
        "submitted",
        0,
        "",
        "",
    )
    assert body["finishedAt"] is None and body["vendorJobId"] == "3d1f0b7e"
    assert (
        body
        == client.get(reverse("api:job_detail", args=[job.pk]), **bearer(people["viewer"])).json()
    )
    assert [c.args for c in callbacks] == [(f"{TASKS}.poll_job", job.pk)]


def test_a_job_the_vendor_never_took_is_submitted_again(
    client, conv, account, people, django_capture_on_commit_callbacks
):
    job = vendor_job(conv, account, state=JobState.REJECTED, error_type="http_400")
    with django_capture_on_commit_callbacks() as callbacks:
        response = retry(client, job.pk, bearer(people["admin"]))
    assert response.status_code == 200
    assert response.json()["state"] == "queued"
    assert [c.args for c in callbacks] == [(f"{TASKS}.submit_job", job.pk)]


@pytest.mark.parametrize(
    ("kind", "state", "secrets", "reason"),
    [
        (JobKind.PROCESS, JobState.DONE, True, "only failed or rejected jobs can be retried"),
        (JobKind.APPEND, JobState.PROCESSING, True, "this one is processing"),
        (JobKind.IMPORT, JobState.FAILED, True, "a file import job is not retried"),
        (JobKind.PROCESS, JobState.FAILED, False, "is missing app_secret; set it first"),
    ],
)
def test_a_job_that_cannot_be_retried_is_a_409_saying_why(
    client, conv, account, people, kind, state, secrets, reason, django_capture_on_commit_callbacks
):
    if not secrets:
        account.secrets = {"app_id": "id-1"}
        account.save()
    job = Job.objects.create(
        conversation=conv,
        kind=kind,
        account=None if kind == JobKind.IMPORT else account,
        state=state,
        error_type="http_503",
    )
    before = frozen(job)
    with django_capture_on_commit_callbacks() as callbacks:
        response = retry(client, job.pk, bearer(people["editor"]))
    assert response.status_code == 409, response.content
    body = response.json()
    assert body["type"] == "conflict" and body["errors"] == []
    assert body["message"].startswith("Cannot retry this job: ") and reason in body["message"]
    assert frozen(job) == before and callbacks == []


def test_a_job_whose_account_was_deleted_is_a_409(client, conv, account, people):
    job = vendor_job(conv, account, state=JobState.FAILED)
    account.delete()
    response = retry(client, job.pk, bearer(people["editor"]))
    assert response.status_code == 409
    assert "the provider account of this job was deleted" in response.json()["message"]


@pytest.mark.parametrize("role", ["viewer", "commenter"])
def test_readers_cannot_retry(client, conv, account, people, role):
    job = vendor_job(conv, account, state=JobState.FAILED, error_type="http_503")
    before = frozen(job)
    response = retry(client, job.pk, bearer(people[role]))
    assert response.status_code == 403
    assert response.json()["type"] == "permission_denied"
    assert frozen(job) == before


def test_retrying_a_job_of_another_workspace_is_404_like_a_missing_one(client, people):
    theirs = factories.conversation(factories.workspace("Theirs"), members=1, messages=1)
    account = ProviderAccount(workspace=theirs.workspace, vendor="symbl", label="Theirs")
    account.set_secrets(app_id="a", app_secret="b")
    account.save()
    job = vendor_job(theirs, account, state=JobState.FAILED)
    before = frozen(job)
    for job_id in (job.pk, 10**9):
        response = retry(client, job_id, bearer(people["admin"]))
        assert response.status_code == 404
        assert response.json() == {"type": "not_found", "message": "No such job", "errors": []}
    assert frozen(job) == before
    assert (
        client.get(reverse("api:job_retry", args=[job.pk]), **bearer(people["admin"])).status_code
        == 404
    )
