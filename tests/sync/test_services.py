"""Sync services with Symbl: submit → poll → import, retries, terminal errors, re-imports and
member pushes, against the recorded Symbl bodies (vendor-apis.md section 1)."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
import requests
from django.utils import timezone
from responses import matchers

from diarization_portal.conversations.models import (
    Conversation,
    Insight,
    Job,
    JobKind,
    JobState,
    Member,
    Message,
    SyncState,
)
from diarization_portal.conversations.services import speakers
from diarization_portal.sync import services
from tests import factories

from .conftest import PUBLIC, SECRETS, due
from .symbl_mocks import (
    BASE,
    CONV,
    CONV_URL,
    JOB,
    MEDIA_URL,
    SPK1,
    SPK2,
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
    job = services.job_create(
        account=account, source_url=MEDIA_URL, title="Weekly", speaker_count=2, language="en-US"
    )
    tasks.take()
    return job


@pytest.fixture
def submitted(job, mocked):
    return submitted_to_symbl(job, mocked)


@pytest.fixture
def imported(submitted, mocked, tasks):
    add_job(mocked, "completed")
    add_conversation(mocked)
    services.job_poll(job_id=due(submitted).pk)
    services.job_import(job_id=submitted.pk)
    tasks.take()
    return Job.objects.get(pk=submitted.pk)


# -- create and submit ----------------------------------------------------------------------


def test_create_makes_a_conversation_and_enqueues_the_submit_after_commit(account, tasks):
    job = services.job_create(account=account, source_url=MEDIA_URL, title="Weekly")
    assert tasks.calls == [("submit_job", (job.pk,))]
    assert job.state == JobState.QUEUED and job.kind == JobKind.PROCESS
    assert job.conversation.vendor == "symbl" and job.conversation.title == "Weekly"
    assert len(job.webhook_token) >= 43


def test_create_refuses_two_sources_and_foreign_conversations(account, workspace):
    with pytest.raises(services.JobInputError, match="either"):
        services.job_create(account=account)
    other = Conversation.objects.create(workspace=factories.workspace(), title="x")
    with pytest.raises(services.JobInputError, match="different workspaces"):
        services.job_create(
            account=account, kind=JobKind.APPEND, conversation=other, source_url=MEDIA_URL
        )


def test_submit_sends_diarization_options_and_the_webhook_and_saves_both_ids(job, mocked):
    add_token(mocked)
    submit = mocked.post(
        f"{BASE}/v1/process/audio/url",
        json=symbl("submit.json"),
        status=201,
        match=[
            matchers.query_param_matcher(
                {"enableSpeakerDiarization": "true", "diarizationSpeakerCount": "2"}
            ),
            matchers.json_params_matcher(
                {
                    "url": MEDIA_URL,
                    "name": f"diarization-portal-job-{job.pk}",
                    "languageCode": "en-US",
                    "webhookUrl": f"{PUBLIC}/webhooks/symbl/{job.webhook_token}/",
                }
            ),
        ],
    )
    job = services.job_submit(job_id=job.pk)
    assert submit.call_count == 1
    assert job.state == JobState.SUBMITTED and job.submitted_at is not None
    assert (job.vendor_job_id, job.vendor_conversation_id) == (JOB, CONV)
    assert job.conversation.external_id == CONV
    assert job.next_check_at > timezone.now()


def test_a_second_submit_task_does_nothing(submitted, mocked):
    assert services.job_submit(job_id=submitted.pk) is None
    assert len([c for c in mocked.calls if "/process/" in c.request.url]) == 1


def test_a_claimed_job_is_not_submitted_twice(job, mocked):
    """While one worker holds the submit lease, a duplicate task finds nothing to do."""
    add_token(mocked)

    def second_worker(request):
        assert services.job_submit(job_id=job.pk) is None
        return (201, {}, json.dumps({"conversationId": CONV, "jobId": JOB}))

    mocked.add_callback("POST", f"{BASE}/v1/process/audio/url", callback=second_worker)
    assert services.job_submit(job_id=job.pk).state == JobState.SUBMITTED


# -- poll and import ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vendor", "ours"), [("scheduled", "submitted"), ("in_progress", "processing")]
)
def test_poll_maps_running_states_and_schedules_the_next_poll(submitted, mocked, vendor, ours):
    add_job(mocked, vendor)
    job = services.job_poll(job_id=due(submitted).pk)
    assert job.state == ours
    assert timezone.now() + timedelta(seconds=4) < job.next_check_at
    assert job.next_check_at < timezone.now() + timedelta(seconds=31)


def test_poll_of_a_job_not_due_does_nothing(submitted, mocked):
    assert services.job_poll(job_id=submitted.pk) is None  # next check is 5 s away
    assert not [c for c in mocked.calls if "/v1/job/" in c.request.url]


def test_completed_job_moves_to_importing_and_enqueues_the_import(submitted, mocked, tasks):
    add_job(mocked, "completed")
    job = services.job_poll(job_id=due(submitted).pk)
    assert job.state == JobState.IMPORTING
    assert tasks.calls == [("import_job", (job.pk,))]


def test_import_brings_members_messages_and_insights(imported):
    conv = imported.conversation
    assert imported.state == JobState.DONE and imported.finished_at is not None
    assert Message.objects.filter(conversation=conv, job=imported).count() == 3
    assert Insight.objects.filter(conversation=conv).count() >= 3
    ana = Member.objects.get(conversation=conv, vendor_label=SPK2)
    assert ana.email == "ana@example.com"
    # Symbl members can take pushes; the synthetic "unknown" speaker cannot.
    assert ana.sync_state == SyncState.SYNCED
    assert Member.objects.get(conversation=conv, vendor_label="unknown").sync_state == "local"
    conv.refresh_from_db()
    assert conv.source_format == "symbl"


def test_importing_the_same_result_again_creates_nothing_and_keeps_user_names(
    imported, mocked, tasks
):
    conv = imported.conversation
    ravi = Member.objects.get(conversation=conv, vendor_label=SPK1)
    speakers.member_rename(member=ravi, name="Ravi Kumar")
    counts = (conv.members.count(), conv.messages.count(), conv.insights.count())
    Job.objects.filter(pk=imported.pk).update(state=JobState.IMPORTING, next_check_at=None)
    job = services.job_import(job_id=imported.pk)
    assert job.state == JobState.DONE
    assert (conv.members.count(), conv.messages.count(), conv.insights.count()) == counts
    assert Member.objects.get(pk=ravi.pk).name == "Ravi Kumar"


def test_symbl_append_keeps_symbl_times_and_adds_only_new_messages(imported, mocked, tasks):
    append = services.job_create(
        account=imported.account,
        kind=JobKind.APPEND,
        conversation=imported.conversation,
        source_url="https://media.example.org/part2.mp3",
    )
    mocked.put(f"{BASE}/v1/process/audio/url/{CONV}", json=symbl("submit.json"), status=201)
    assert services.job_submit(job_id=append.pk).state == JobState.SUBMITTED
    Job.objects.filter(pk=append.pk).update(state=JobState.IMPORTING, next_check_at=None)
    assert services.job_import(job_id=append.pk).state == JobState.DONE
    assert Message.objects.filter(job=append).count() == 0  # Symbl sent no new message
    first = Message.objects.get(conversation=imported.conversation, external_id="6412283618000896")
    assert first.start == pytest.approx(191.38)


# -- retries and terminal errors ------------------------------------------------------------


def test_429_waits_for_retry_after_and_counts_the_attempt(submitted, mocked):
    add_job_error(
        mocked,
        status=429,
        json=symbl("error_concurrency_429.json"),
        headers={"Retry-After": "120"},
    )
    before = timezone.now()
    job = services.job_poll(job_id=due(submitted).pk)
    assert job.state == JobState.SUBMITTED and job.attempts == 1
    assert job.error_type == "http_429" and "concurrent jobs" in job.error_message
    assert before + timedelta(seconds=119) < job.next_check_at < before + timedelta(seconds=125)


def test_server_errors_back_off_from_5_to_60_seconds_then_fail(submitted, mocked):
    add_job_error(mocked, status=503, json={"message": "busy"})
    waits = []
    for _ in range(services.MAX_ATTEMPTS - 1):
        before = timezone.now()
        job = services.job_poll(job_id=due(submitted).pk)
        waits.append(round((job.next_check_at - before).total_seconds()))
    assert waits == [5, 10, 20, 40, 60, 60, 60]
    job = services.job_poll(job_id=due(submitted).pk)
    assert job.state == JobState.FAILED and job.attempts == services.MAX_ATTEMPTS
    assert job.error_type == "http_503" and job.error_message.startswith("gave up after 8")
    assert job.finished_at is not None and job.next_check_at is None


def test_timeouts_are_retried(submitted, mocked):
    add_job_error(mocked, body=requests.ConnectTimeout("slow"))
    job = services.job_poll(job_id=due(submitted).pk)
    assert (job.state, job.attempts, job.error_type) == ("submitted", 1, "timeout")


def test_bad_request_on_submit_is_rejected_with_the_vendor_message(job, mocked):
    add_token(mocked)
    mocked.post(f"{BASE}/v1/process/audio/url", status=400, json={"message": "URL is not public"})
    job = services.job_submit(job_id=job.pk)
    assert job.state == JobState.REJECTED and job.attempts == 0
    assert "URL is not public" in job.error_message and job.error_type == "http_400"


def test_unknown_job_is_failed_not_retried(submitted, mocked):
    add_job_error(mocked, status=404, json=symbl("error_not_found.json"))
    job = services.job_poll(job_id=due(submitted).pk)
    assert job.state == JobState.FAILED and "invalid or does not exist" in job.error_message


def test_vendor_failed_job_is_failed(submitted, mocked):
    add_job(mocked, "failed")
    job = services.job_poll(job_id=due(submitted).pk)
    assert job.state == JobState.FAILED and job.error_type == "vendor_failed"


def test_a_failing_append_never_touches_the_conversation(imported, mocked):
    conv = imported.conversation
    ravi = Member.objects.get(conversation=conv, vendor_label=SPK1)
    speakers.member_rename(member=ravi, name="Ravi Kumar")
    before = list(conv.messages.values_list("pk", "member_id", "start", "text"))
    append = services.job_create(
        account=imported.account, kind=JobKind.APPEND, conversation=conv, source_url=MEDIA_URL
    )
    mocked.put(f"{BASE}/v1/process/audio/url/{CONV}", status=422, json={"message": "bad media"})
    assert services.job_submit(job_id=append.pk).state == JobState.REJECTED
    assert list(conv.messages.values_list("pk", "member_id", "start", "text")) == before
    assert Member.objects.get(pk=ravi.pk).name == "Ravi Kumar"


def test_a_deleted_account_fails_the_job(submitted):
    submitted.account.delete()
    job = services.job_poll(job_id=due(submitted).pk)
    assert job.state == JobState.FAILED and job.error_type == "no_account"


def test_secrets_are_never_logged_or_stored_in_errors(job, mocked, caplog):
    mocked.post(f"{BASE}/oauth2/token:generate", status=401, json={"message": "bad credentials"})
    with caplog.at_level(logging.DEBUG):
        job = services.job_submit(job_id=job.pk)
    assert job.state == JobState.FAILED
    for secret in (SECRETS["app_secret"], SECRETS["app_id"]):
        assert secret not in caplog.text and secret not in job.error_message


# -- member pushes --------------------------------------------------------------------------


def test_rename_marks_the_member_pending_and_pushes_name_and_email(imported, mocked, tasks):
    ravi = Member.objects.get(conversation=imported.conversation, vendor_label=SPK1)
    speakers.member_rename(member=ravi, name="Ravi Kumar", email="ravi@example.com")
    assert Member.objects.get(pk=ravi.pk).sync_state == SyncState.PENDING
    assert tasks.calls == [("push_member", (ravi.pk,))]
    put = mocked.put(
        f"{CONV_URL}/members/{SPK1}",
        json=symbl("member_updated.json"),
        match=[
            matchers.json_params_matcher(
                {"id": SPK1, "name": "Ravi Kumar", "email": "ravi@example.com"}
            )
        ],
    )
    tasks.run_all()
    assert put.call_count == 1
    assert Member.objects.get(pk=ravi.pk).sync_state == SyncState.SYNCED


def test_merge_pushes_the_duplicate_with_the_survivors_email(imported, mocked, tasks):
    conv = imported.conversation
    ravi = Member.objects.get(conversation=conv, vendor_label=SPK1)
    ana = Member.objects.get(conversation=conv, vendor_label=SPK2)
    speakers.member_merge(source=ravi, target=ana)
    assert sorted(tasks.names()) == ["push_member", "push_member"]
    put = mocked.put(
        f"{CONV_URL}/members/{SPK1}",
        json=symbl("member_updated.json"),
        match=[
            matchers.json_params_matcher({"id": SPK1, "name": ana.name, "email": "ana@example.com"})
        ],
    )
    mocked.put(f"{CONV_URL}/members/{SPK2}", json=symbl("member_updated.json"))
    tasks.run_all()
    assert put.call_count == 1
    assert set(
        conv.members.filter(pk__in=[ravi.pk, ana.pk]).values_list("sync_state", flat=True)
    ) == {"synced"}


def test_push_failure_marks_the_member_failed_and_keeps_the_edit(imported, mocked, tasks):
    ravi = Member.objects.get(conversation=imported.conversation, vendor_label=SPK1)
    speakers.member_rename(member=ravi, name="Ravi Kumar")
    mocked.put(f"{CONV_URL}/members/{SPK1}", status=404, json=symbl("error_not_found.json"))
    tasks.run_all()
    ravi.refresh_from_db()
    assert ravi.sync_state == SyncState.FAILED and ravi.name == "Ravi Kumar"
    assert "invalid or does not exist" in ravi.sync_error and "HTTP 404" in ravi.sync_error


def test_undo_pushes_the_previous_name_back(imported, mocked, tasks):
    ravi = Member.objects.get(conversation=imported.conversation, vendor_label=SPK1)
    edit = speakers.member_rename(member=ravi, name="Ravi Kumar")
    tasks.take()
    speakers.edit_undo(edit=edit)
    put = mocked.put(
        f"{CONV_URL}/members/{SPK1}",
        json=symbl("member_updated.json"),
        match=[matchers.json_params_matcher({"id": SPK1, "name": "Speaker 1"})],
    )
    tasks.run_all()
    assert put.call_count == 1


def test_an_edit_made_during_a_push_stays_pending(imported, mocked, tasks):
    ravi = Member.objects.get(conversation=imported.conversation, vendor_label=SPK1)
    speakers.member_rename(member=ravi, name="Ravi Kumar")

    def renamed_meanwhile(request):
        Member.objects.filter(pk=ravi.pk).update(name="Ravi K.")
        return (200, {}, '{"message": "ok"}')

    mocked.add_callback("PUT", f"{CONV_URL}/members/{SPK1}", callback=renamed_meanwhile)
    services.member_push(member_id=ravi.pk)
    assert Member.objects.get(pk=ravi.pk).sync_state == SyncState.PENDING


def _overtaken_by(name: str, ravi: Member, answer, sent: list[str]):
    """A Symbl member PUT callback: while the first PUT is on its way the member is renamed
    to ``name`` and that newer push is answered first (synced); the first then gets
    ``answer``, the later ones 200."""

    def callback(request):
        sent.append(json.loads(request.body)["name"])
        if len(sent) > 1:
            return (200, {}, '{"message": "ok"}')
        Member.objects.filter(pk=ravi.pk).update(name=name, sync_state=SyncState.SYNCED)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return callback


@pytest.mark.parametrize(
    "answer",
    [(200, {}, '{"message": "ok"}'), requests.ReadTimeout("read timed out")],
    ids=["answered", "timed-out"],
)
def test_a_push_overtaken_by_a_newer_one_is_followed_by_the_current_name(
    imported, mocked, tasks, answer
):
    """Two pushes of one member run side by side and the older one reaches Symbl last (or
    times out, and may still arrive): the member goes back to pending and its current name
    is pushed once more, so Symbl ends with it."""
    ravi = Member.objects.get(conversation=imported.conversation, vendor_label=SPK1)
    speakers.member_rename(member=ravi, name="Ravi Kumar")
    tasks.take()
    sent: list[str] = []
    callback = _overtaken_by("Ravi K.", ravi, answer, sent)
    mocked.add_callback("PUT", f"{CONV_URL}/members/{SPK1}", callback=callback)
    services.member_push(member_id=ravi.pk)
    assert Member.objects.get(pk=ravi.pk).sync_state == SyncState.PENDING
    assert tasks.calls == [("push_member", (ravi.pk,))]
    tasks.run_all()
    assert sent == ["Ravi Kumar", "Ravi K."]
    assert Member.objects.get(pk=ravi.pk).sync_state == SyncState.SYNCED


def test_a_push_that_delivers_the_current_name_syncs_a_member_an_older_push_failed(
    imported, mocked, tasks
):
    ravi = Member.objects.get(conversation=imported.conversation, vendor_label=SPK1)
    speakers.member_rename(member=ravi, name="Ravi Kumar")
    tasks.take()

    def older_push_failed(request):
        Member.objects.filter(pk=ravi.pk).update(sync_state=SyncState.FAILED, sync_error="x")
        return (200, {}, '{"message": "ok"}')

    mocked.add_callback("PUT", f"{CONV_URL}/members/{SPK1}", callback=older_push_failed)
    services.member_push(member_id=ravi.pk)
    ravi.refresh_from_db()
    assert (ravi.sync_state, ravi.sync_error) == (SyncState.SYNCED, "")
    assert tasks.calls == []


def test_file_conversations_are_never_pushed(workspace, tasks):
    conv = factories.conversation(workspace, members=2, messages=4)
    speakers.member_rename(member=conv.members.first(), name="Someone")
    assert tasks.calls == []
    assert set(conv.members.values_list("sync_state", flat=True)) == {"local"}
