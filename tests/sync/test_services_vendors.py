"""Sync services with Phonexia, ElevenLabs (STT and PVC) and DeepAffects: submit → poll (or
webhook) → import against the recorded bodies (vendor-apis.md sections 2-4)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from responses import matchers

from diarization_portal.conversations.models import Job, JobState, Member, Message, SyncState
from diarization_portal.conversations.services import speakers
from diarization_portal.sync import services, vendors
from diarization_portal.sync.services.pvc import PvcSelectionError, pvc_selection_save
from tests import factories

from .conftest import PUBLIC, age, due, make_account, recorded

pytestmark = pytest.mark.django_db(transaction=True)

PHX = "https://phonexia.example.org:8600"
PHX_TASK = "0b8f6a52-3c1e-4d7a-9a50-2f7e1c9d4b11"
PHX_START = f"{PHX}/api/technology/speaker-diarization"
EL = "https://api.elevenlabs.io"
PVC = f"{EL}/v1/voices/pvc/VxQ1abc/samples/smp_77"
DA = "https://proxy.api.deepaffects.com/audio/generic/api/v2/async/diarize"
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt "


# -- Phonexia -------------------------------------------------------------------------------


@pytest.fixture
def phonexia_job(workspace, tasks):
    account = make_account(workspace, "phonexia", base_url=PHX)
    job = services.job_create(
        account=account, media=ContentFile(WAV, name="call.wav"), speaker_count=2
    )
    tasks.take()
    return job


def add_phonexia_task(rsps, name: str, **reply) -> None:
    rsps.get(f"{PHX_START}/{PHX_TASK}", json=recorded("phonexia", name), **reply)


@pytest.fixture
def phonexia_submitted(phonexia_job, mocked):
    mocked.post(
        PHX_START,
        status=202,
        json=recorded("phonexia", "task_accepted.json"),
        headers={"X-Location": f"/api/technology/speaker-diarization/{PHX_TASK}"},
        match=[matchers.query_param_matcher({"channel_mode": "split"})],
    )
    return services.job_submit(job_id=phonexia_job.pk)


def test_phonexia_upload_sends_the_file_the_exact_count_and_our_correlation_id(
    phonexia_submitted, mocked
):
    request = mocked.calls[0].request
    assert WAV in request.body and b'{"total_speakers":2}' in request.body
    assert request.headers["X-Correlation-Id"]
    assert phonexia_submitted.state == JobState.SUBMITTED
    assert phonexia_submitted.vendor_job_id == PHX_TASK


def test_phonexia_submit_to_import(phonexia_submitted, mocked, tasks):
    add_phonexia_task(mocked, "task_running.json")
    assert services.job_poll(job_id=due(phonexia_submitted).pk).state == JobState.PROCESSING
    mocked.replace("GET", f"{PHX_START}/{PHX_TASK}", json=recorded("phonexia", "task_done.json"))
    assert services.job_poll(job_id=due(phonexia_submitted).pk).state == JobState.IMPORTING
    assert tasks.run_all() == ["import_job"]
    job = Job.objects.get(pk=phonexia_submitted.pk)
    assert job.state == JobState.DONE
    rows = list(Message.objects.filter(job=job).values_list("start", "end", "text"))
    assert rows == [(1.25, 6.8, ""), (7.02, 12.4, "")]
    # Phonexia takes no member updates: its speakers stay local.
    assert set(job.conversation.members.values_list("sync_state", flat=True)) == {"local"}


def test_phonexia_rejected_task_is_rejected_with_the_reason(phonexia_submitted, mocked):
    add_phonexia_task(mocked, "task_rejected.json")
    job = services.job_poll(job_id=due(phonexia_submitted).pk)
    assert job.state == JobState.REJECTED and job.error_type == "rejected"
    assert "Audio could not be decoded" in job.error_message
    assert job.attempts == 0 and job.finished_at is not None


def test_phonexia_failed_task_is_resubmitted_after_a_backoff(phonexia_submitted, mocked):
    add_phonexia_task(mocked, "task_failed.json")
    job = services.job_poll(job_id=due(phonexia_submitted).pk)
    assert (job.state, job.attempts, job.vendor_job_id) == ("queued", 1, "")
    assert "terminated unexpectedly" in job.error_message
    assert job.next_check_at > timezone.now()


def test_phonexia_unknown_task_is_resubmitted(phonexia_submitted, mocked):
    mocked.get(f"{PHX_START}/{PHX_TASK}", status=404, json={"detail": "Not Found"})
    job = services.job_poll(job_id=due(phonexia_submitted).pk)
    assert job.state == JobState.QUEUED and "no longer knows" in job.error_message


def test_phonexia_429_honours_retry_after(phonexia_job, mocked):
    mocked.post(
        PHX_START,
        status=429,
        json=recorded("phonexia", "error_429.json"),
        headers={"retry-after": "90"},
    )
    before = timezone.now()
    job = services.job_submit(job_id=phonexia_job.pk)
    assert (job.state, job.attempts) == ("queued", 1)
    assert before + timedelta(seconds=89) < job.next_check_at < before + timedelta(seconds=95)
    assert "Rate limit exceeded" in job.error_message


def test_phonexia_422_is_rejected(phonexia_job, mocked):
    mocked.post(PHX_START, status=422, json=recorded("phonexia", "error_422.json"))
    job = services.job_submit(job_id=phonexia_job.pk)
    assert job.state == JobState.REJECTED and "channel_mode" in job.error_message


def test_phonexia_needs_an_uploaded_file(workspace):
    account = make_account(workspace, "phonexia", base_url=PHX)
    with pytest.raises(services.JobInputError, match="uploaded file"):
        services.job_create(account=account, source_url="https://media.example.org/a.wav")


# -- ElevenLabs speech-to-text ----------------------------------------------------------------


@pytest.fixture
def stt_submitted(workspace, tasks, mocked):
    account = make_account(workspace, "elevenlabs")
    job = services.job_create(account=account, source_url="https://media.example.org/a.mp3")
    tasks.take()
    mocked.post(f"{EL}/v1/speech-to-text", json=recorded("elevenlabs", "stt_async.json"))
    return services.job_submit(job_id=job.pk)


def test_stt_submit_asks_for_a_webhook_with_our_job_id(stt_submitted, mocked):
    body = mocked.calls[0].request.body
    assert b'name="webhook"\r\n\r\ntrue' in body and b'name="diarize"\r\n\r\ntrue' in body
    assert json.dumps({"portal_job_id": stt_submitted.pk}, separators=(",", ":")).encode() in body
    assert (stt_submitted.vendor_job_id, stt_submitted.vendor_conversation_id) == (
        "req_1a2b",
        "tr_9f2c",
    )


def test_stt_poll_waits_on_404_then_imports_the_transcript(stt_submitted, mocked, tasks):
    url = f"{EL}/v1/speech-to-text/transcripts/tr_9f2c"
    mocked.get(url, status=404, json={"detail": {"status": "not_found", "message": "no"}})
    assert services.job_poll(job_id=due(stt_submitted).pk).state == JobState.PROCESSING
    mocked.replace("GET", url, json=recorded("elevenlabs", "stt.json"))
    assert services.job_poll(job_id=due(stt_submitted).pk).state == JobState.IMPORTING
    tasks.run_all()
    job = Job.objects.get(pk=stt_submitted.pk)
    assert job.state == JobState.DONE
    assert list(Message.objects.filter(job=job).values_list("text", flat=True)) == [
        "Hi",
        "Morning!",
    ]


def test_stt_quota_error_is_terminal(workspace, tasks, mocked):
    account = make_account(workspace, "elevenlabs")
    job = services.job_create(account=account, source_url="https://media.example.org/a.mp3")
    mocked.post(
        f"{EL}/v1/speech-to-text", status=401, json=recorded("elevenlabs", "error_quota.json")
    )
    job = services.job_submit(job_id=job.pk)
    assert job.state == JobState.FAILED and "quota" in job.error_message


# -- ElevenLabs PVC ---------------------------------------------------------------------------


@pytest.fixture
def pvc_imported(workspace, tasks, mocked):
    account = make_account(workspace, "elevenlabs", base_url="default")
    job = services.job_create(
        account=account, options={"product": "pvc", "voice_id": "VxQ1abc", "sample_id": "smp_77"}
    )
    tasks.take()
    mocked.get(f"{PVC}/speakers", json=recorded("elevenlabs", "pvc_speakers_not_started.json"))
    start = mocked.post(f"{PVC}/separate-speakers", json=recorded("elevenlabs", "pvc_start.json"))
    assert services.job_submit(job_id=job.pk).state == JobState.SUBMITTED
    assert start.call_count == 1
    mocked.replace("GET", f"{PVC}/speakers", json=recorded("elevenlabs", "pvc_speakers.json"))
    assert services.job_poll(job_id=due(job).pk).state == JobState.IMPORTING
    tasks.run_all()
    return Job.objects.get(pk=job.pk)


def test_pvc_separation_is_started_once_and_imported(pvc_imported):
    assert pvc_imported.state == JobState.DONE
    assert pvc_imported.conversation.external_id == "VxQ1abc/smp_77"
    members = pvc_imported.conversation.members.order_by("position")
    assert [(m.vendor_label, m.sync_state) for m in members] == [
        ("spk_a", "synced"),
        ("spk_b", "synced"),
    ]
    assert Message.objects.filter(job=pvc_imported).count() == 2


def test_pvc_merge_keeps_both_separated_tracks_of_the_one_person(pvc_imported, mocked, tasks):
    spk_a, spk_b = pvc_imported.conversation.members.order_by("position")
    speakers.member_merge(source=spk_b, target=spk_a)
    select = mocked.post(
        PVC,
        json=recorded("elevenlabs", "select_speakers.json"),
        match=[matchers.json_params_matcher({"selected_speaker_ids": ["spk_a", "spk_b"]})],
    )
    tasks.run_all()
    assert select.call_count == 2  # one push per changed member, same full list
    assert set(
        Member.objects.filter(pk__in=[spk_a.pk, spk_b.pk]).values_list("sync_state", flat=True)
    ) == {SyncState.SYNCED}


def test_pvc_selection_sends_only_kept_speakers_and_merged_tracks_follow(
    pvc_imported, mocked, tasks
):
    spk_a, spk_b = pvc_imported.conversation.members.order_by("position")
    sent = []
    mocked.add_callback(
        "POST",
        PVC,
        callback=lambda req: (sent.append(json.loads(req.body)) or 200, {}, '{"voice_id":"x"}'),
    )
    labels = pvc_selection_save(job=pvc_imported, keep=[spk_a.pk])
    assert labels == ["spk_a"]
    assert tasks.names() == ["push_member"]  # only spk_b's kept state changed
    tasks.run_all()
    assert sent == [{"selected_speaker_ids": ["spk_a"]}]
    spk_b.refresh_from_db()
    assert (spk_b.pvc_selected, spk_b.sync_state) == (False, SyncState.SYNCED)

    # spk_a merged into the dropped spk_b: one person, dropped with both tracks
    speakers.member_merge(source=spk_a, target=spk_b)
    tasks.run_all()
    assert sent[-1] == {"selected_speaker_ids": []}
    # keeping that person keeps both separated tracks
    assert pvc_selection_save(job=pvc_imported, keep=[spk_b.pk]) == ["spk_a", "spk_b"]
    tasks.run_all()
    assert sent[-1] == {"selected_speaker_ids": ["spk_a", "spk_b"]}
    assert vendors.pvc_labels(pvc_imported) == ["spk_a", "spk_b"]


def test_pvc_selection_refuses_nothing_kept_and_foreign_members(pvc_imported, tasks):
    spk_a, spk_b = pvc_imported.conversation.members.order_by("position")
    with pytest.raises(PvcSelectionError, match="keep at least one speaker"):
        pvc_selection_save(job=pvc_imported, keep=[])
    stranger = factories.conversation(pvc_imported.conversation.workspace).members.first()
    with pytest.raises(PvcSelectionError, match=f"member {stranger.pk} is not a separated"):
        pvc_selection_save(job=pvc_imported, keep=[spk_a.pk, stranger.pk])
    speakers.member_merge(source=spk_b, target=spk_a)
    tasks.take()
    with pytest.raises(PvcSelectionError, match=f"member {spk_b.pk} is not a separated"):
        pvc_selection_save(job=pvc_imported, keep=[spk_b.pk])  # merged: choose spk_a instead
    assert set(Member.objects.values_list("pvc_selected", flat=True)) == {True}
    assert tasks.names() == []


def test_pvc_push_422_marks_failed_with_the_reason(pvc_imported, mocked, tasks):
    spk_a = pvc_imported.conversation.members.get(vendor_label="spk_a")
    speakers.member_rename(member=spk_a, name="Narrator")
    mocked.post(PVC, status=422, json=recorded("elevenlabs", "error_422.json"))
    tasks.run_all()
    spk_a.refresh_from_db()
    assert spk_a.sync_state == SyncState.FAILED and "Unknown speaker id spk_z" in spk_a.sync_error


# -- DeepAffects ------------------------------------------------------------------------------


@pytest.fixture
def da_job(workspace, tasks):
    account = make_account(workspace, "deepaffects")
    job = services.job_create(
        account=account,
        source_url="https://media.example.org/a.flac",
        options={"encoding": "FLAC", "sample_rate": 16000},
    )
    tasks.take()
    return job


def test_deepaffects_request_id_is_saved_before_the_post(da_job, mocked):
    rid = vendors.deepaffects_request_id(da_job)
    seen = {}

    def server(request):
        seen["saved"] = Job.objects.get(pk=da_job.pk).vendor_job_id
        seen["query"] = request.params
        return (
            200,
            {},
            json.dumps({**recorded("deepaffects", "accepted.json"), "request_id": rid}),
        )

    mocked.add_callback("POST", DA, callback=server)
    job = services.job_submit(job_id=da_job.pk)
    assert seen["saved"] == rid and seen["query"]["request_id"] == rid
    assert seen["query"]["webhook"] == f"{PUBLIC}/webhooks/deepaffects/{da_job.webhook_token}/"
    assert job.state == JobState.SUBMITTED and job.vendor_job_id == rid


def test_deepaffects_webhook_result_is_imported(da_job, mocked, tasks, client):
    rid = vendors.deepaffects_request_id(da_job)
    mocked.post(DA, json={"request_id": rid, "api": "diarize"})
    services.job_submit(job_id=da_job.pk)
    body = {**recorded("deepaffects", "webhook.json"), "request_id": rid}
    url = f"/webhooks/deepaffects/{da_job.webhook_token}/"
    assert client.post(url, body, content_type="application/json").status_code == 200
    assert tasks.run_all() == ["poll_job", "import_job"]
    job = Job.objects.get(pk=da_job.pk)
    assert job.state == JobState.DONE
    assert list(Message.objects.filter(job=job).values_list("start", "end")) == [
        (0.0, 4.2),
        (4.2, 9.7),
    ]


def test_deepaffects_without_webhook_is_resubmitted_with_a_new_request_id(da_job, mocked):
    first = vendors.deepaffects_request_id(da_job)
    mocked.post(DA, json={"request_id": first, "api": "diarize"})
    services.job_submit(job_id=da_job.pk)
    job = services.job_poll(job_id=age(da_job, minutes=31).pk)
    assert (job.state, job.attempts) == (
        "queued",
        1,
    ) and "no result within 30 min" in job.error_message
    assert vendors.deepaffects_request_id(job) != first
    assert first in vendors.deepaffects_request_ids(job)  # a late webhook is still accepted


def test_deepaffects_needs_a_public_url(da_job, settings):
    settings.PUBLIC_BASE_URL = ""
    job = services.job_submit(job_id=da_job.pk)
    assert job.state == JobState.FAILED and "PUBLIC_BASE_URL" in job.error_message


def test_deepaffects_needs_encoding_and_sample_rate(workspace):
    account = make_account(workspace, "deepaffects")
    with pytest.raises(services.JobInputError, match="sample rate"):
        services.job_create(account=account, source_url="https://media.example.org/a.flac")


def test_a_vanished_upload_fails_the_job_instead_of_crashing(phonexia_job, mocked):
    phonexia_job.media.storage.delete(phonexia_job.media.name)
    job = services.job_submit(job_id=phonexia_job.pk)
    assert job.state == JobState.FAILED and "cannot be read" in job.error_message
    assert not mocked.calls
