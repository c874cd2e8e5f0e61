"""Retrying failed and rejected vendor jobs and failed member pushes by hand: where a job
resumes, what it clears, what is enqueued after commit, and what is refused (Symbl recorded
bodies, vendor-apis.md section 1)."""

from __future__ import annotations

import pytest
from django.db import transaction

from diarization_portal.conversations.models import (
    Conversation,
    Job,
    JobKind,
    JobState,
    Member,
    SyncState,
)
from diarization_portal.conversations.services import speakers
from diarization_portal.conversations.services.imports import file_import
from diarization_portal.sync import services
from tests.conftest import SAMPLES

from .conftest import due
from .symbl_mocks import (
    BASE,
    CONV,
    CONV_URL,
    JOB,
    MEDIA_URL,
    SPK1,
    add_conversation,
    add_job,
    add_job_error,
    add_token,
    submitted_to_symbl,
    symbl,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def job(account, tasks):
    job = services.job_create(account=account, source_url=MEDIA_URL, title="Weekly")
    tasks.take()
    return job


@pytest.fixture
def submitted(job, mocked):
    return submitted_to_symbl(job, mocked)


def rejected_at_submit(job, mocked) -> Job:
    add_token(mocked)
    mocked.post(f"{BASE}/v1/process/audio/url", status=400, json={"message": "URL is not public"})
    return services.job_submit(job_id=job.pk)


def test_a_job_rejected_at_submit_goes_back_to_queued_with_a_fresh_start(job, mocked, tasks):
    failed = rejected_at_submit(job, mocked)
    assert failed.state == JobState.REJECTED
    old_token = failed.webhook_token
    retried = services.job_retry(job_id=failed.pk)
    assert retried.state == JobState.QUEUED
    assert (retried.attempts, retried.error_type, retried.error_message) == (0, "", "")
    assert retried.finished_at is None and retried.next_check_at is not None
    assert retried.webhook_token != old_token  # callbacks of the refused submit cannot match
    assert tasks.calls == [("submit_job", (failed.pk,))]
    # The same input, submitted again, now goes through.
    mocked.replace("POST", f"{BASE}/v1/process/audio/url", json=symbl("submit.json"), status=201)
    tasks.run_all()
    job = Job.objects.get(pk=failed.pk)
    assert job.state == JobState.SUBMITTED and job.vendor_job_id == JOB


def test_a_job_that_failed_while_polling_resumes_polling_and_imports(submitted, mocked, tasks):
    add_job_error(mocked, status=401, json={"message": "Unauthorized"})
    failed = services.job_poll(job_id=due(submitted).pk)
    assert failed.state == JobState.FAILED and failed.error_type == "http_401"
    retried = services.job_retry(job_id=failed.pk)
    assert retried.state == JobState.SUBMITTED
    assert (retried.vendor_job_id, retried.vendor_conversation_id) == (JOB, CONV)
    assert retried.webhook_token == failed.webhook_token and retried.submitted_at is not None
    assert tasks.calls == [("poll_job", (failed.pk,))]
    mocked.replace("GET", f"{BASE}/v1/job/{JOB}", json={**symbl("job.json"), "status": "completed"})
    add_conversation(mocked)
    assert tasks.run_all() == ["poll_job", "import_job"]
    job = Job.objects.get(pk=failed.pk)
    assert job.state == JobState.DONE and job.messages.count() == 3


def test_exhausted_retries_resume_polling_with_attempts_reset(submitted, mocked, tasks):
    add_job_error(mocked, status=503, json={"message": "busy"})
    for _ in range(services.MAX_ATTEMPTS):
        failed = services.job_poll(job_id=due(submitted).pk)
    assert failed.state == JobState.FAILED and failed.attempts == services.MAX_ATTEMPTS
    retried = services.job_retry(job_id=failed.pk)
    assert (retried.state, retried.attempts) == (JobState.SUBMITTED, 0)


def test_a_job_that_failed_importing_goes_back_to_importing(submitted, mocked, tasks):
    add_job(mocked, "completed")
    services.job_poll(job_id=due(submitted).pk)
    tasks.take()
    mocked.get(f"{CONV_URL}/messages", body="<html>not json</html>")
    for _ in range(services.MAX_ATTEMPTS):
        failed = services.job_import(job_id=due(submitted).pk)
    assert failed.state == JobState.FAILED
    Job.objects.filter(pk=failed.pk).update(error_type="parse_error")  # as a parser refusal
    retried = services.job_retry(job_id=failed.pk)
    assert retried.state == JobState.IMPORTING and retried.vendor_conversation_id == CONV
    assert tasks.calls == [("import_job", (failed.pk,))]


def test_a_job_the_vendor_failed_is_submitted_anew(submitted, mocked, tasks):
    add_job(mocked, "failed")
    failed = services.job_poll(job_id=due(submitted).pk)
    assert failed.error_type == "vendor_failed"
    assert Conversation.objects.get(pk=failed.conversation_id).external_id == CONV
    retried = services.job_retry(job_id=failed.pk)
    assert retried.state == JobState.QUEUED
    assert (retried.vendor_job_id, retried.vendor_conversation_id) == ("", "")
    assert retried.submitted_at is None and retried.webhook_token != failed.webhook_token
    # The failed vendor conversation is forgotten: the new submit records its own.
    assert Conversation.objects.get(pk=failed.conversation_id).external_id == ""
    assert tasks.calls == [("submit_job", (failed.pk,))]


def test_a_failed_append_keeps_the_conversations_vendor_id(submitted, mocked, tasks):
    Conversation.objects.filter(pk=submitted.conversation_id).update(external_id=CONV)
    append = services.job_create(
        account=submitted.account,
        kind=JobKind.APPEND,
        conversation=submitted.conversation,
        source_url=MEDIA_URL,
    )
    Job.objects.filter(pk=append.pk).update(
        state=JobState.FAILED, submitted_at=append.created_at, error_type="vendor_failed"
    )
    tasks.take()
    assert services.job_retry(job_id=append.pk).state == JobState.QUEUED
    assert Conversation.objects.get(pk=append.conversation_id).external_id == CONV


def test_the_step_is_enqueued_only_after_commit(job, mocked, tasks):
    failed = rejected_at_submit(job, mocked)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.job_retry(job_id=failed.pk)
        assert tasks.calls == []
        raise RuntimeError("rolled back")
    assert tasks.calls == [] and Job.objects.get(pk=failed.pk).state == JobState.REJECTED


@pytest.mark.parametrize("state", ["queued", "submitted", "processing", "importing", "done"])
def test_active_and_done_jobs_are_refused(job, tasks, state):
    Job.objects.filter(pk=job.pk).update(state=state)
    with pytest.raises(services.RetryRefused, match=f"only failed or rejected.*{state}"):
        services.job_retry(job_id=job.pk)
    assert Job.objects.get(pk=job.pk).state == state and tasks.calls == []


def test_file_imports_are_refused(workspace, tasks):
    data = (SAMPLES / "weekly-sync.symbl.json").read_bytes()
    conv = file_import(workspace=workspace, data=data, source_name="w.json").conversation
    job = conv.jobs.get()
    Job.objects.filter(pk=job.pk).update(state=JobState.FAILED)
    with pytest.raises(services.RetryRefused, match="file import job is not retried"):
        services.job_retry(job_id=job.pk)


def test_a_job_without_account_or_secrets_is_refused(job, mocked, tasks):
    failed = rejected_at_submit(job, mocked)
    account = failed.account
    account.secrets = {"app_id": "x"}
    account.save()
    with pytest.raises(services.RetryRefused, match="missing app_secret"):
        services.job_retry(job_id=failed.pk)
    account.delete()
    with pytest.raises(services.RetryRefused, match="account of this job was deleted"):
        services.job_retry(job_id=failed.pk)
    assert Job.objects.get(pk=failed.pk).state == JobState.REJECTED and tasks.calls == []


# -- member pushes --------------------------------------------------------------------------


@pytest.fixture
def imported(submitted, mocked, tasks):
    add_job(mocked, "completed")
    add_conversation(mocked)
    services.job_poll(job_id=due(submitted).pk)
    services.job_import(job_id=submitted.pk)
    tasks.take()
    return Job.objects.get(pk=submitted.pk)


def test_a_failed_push_goes_back_to_pending_and_is_pushed_again(imported, mocked, tasks):
    ravi = Member.objects.get(conversation=imported.conversation, vendor_label=SPK1)
    speakers.member_rename(member=ravi, name="Ravi Kumar")
    put = mocked.put(f"{CONV_URL}/members/{SPK1}", status=503, json={"message": "busy"})
    tasks.run_all()
    assert Member.objects.get(pk=ravi.pk).sync_state == SyncState.FAILED
    member = services.member_push_retry(member_id=ravi.pk)
    assert (member.sync_state, member.sync_error) == (SyncState.PENDING, "")
    assert tasks.calls == [("push_member", (ravi.pk,))]
    mocked.replace("PUT", put.url, json=symbl("member_updated.json"))
    tasks.run_all()
    assert Member.objects.get(pk=ravi.pk).sync_state == SyncState.SYNCED


@pytest.mark.parametrize("state", ["local", "pending", "synced"])
def test_only_failed_pushes_are_retried(imported, tasks, state):
    ravi = Member.objects.get(conversation=imported.conversation, vendor_label=SPK1)
    Member.objects.filter(pk=ravi.pk).update(sync_state=state)
    with pytest.raises(services.RetryRefused, match=f"this speaker is {state}"):
        services.member_push_retry(member_id=ravi.pk)
    assert Member.objects.get(pk=ravi.pk).sync_state == state and tasks.calls == []
