"""The emulated Symbl: token cache, job state machine, webhooks, conversation data, member
updates with merge by email, driven through the portal's own Symbl client."""

from __future__ import annotations

import pytest
import requests

from providers.symbl import SymblClient
from providers.types import ProviderError
from tests.emulator import Advance, Fault

MEDIA = "https://media.example.org/weekly.mp3"


@pytest.fixture
def client(emulator):
    return SymblClient(
        "app-1", "secret-1", base_url=emulator.base_url("symbl"), session=emulator.session("Symbl")
    )


def test_tokens_are_cached_per_app_and_bad_credentials_get_401(emulator):
    emulator.symbl.credentials = {"app-1": "secret-1"}
    url = f"{emulator.base_url('symbl')}/oauth2/token:generate"
    body = {"type": "application", "appId": "app-1", "appSecret": "secret-1"}
    first, second = requests.post(url, json=body).json(), requests.post(url, json=body).json()
    assert first["accessToken"] == second["accessToken"]
    assert 0 < second["expiresIn"] <= first["expiresIn"] == 86400
    assert requests.post(url, json={**body, "appSecret": "wrong"}).status_code == 401


def test_a_job_moves_one_state_per_poll_and_data_appears_when_completed(emulator, client):
    submitted = client.submit_url(MEDIA, name="weekly", speaker_count=4)
    conversation = emulator.symbl.conversation(submitted.conversation_id)
    states = [client.job_status(submitted.job_id).vendor_state for _ in range(2)]
    assert states == ["scheduled", "in_progress"]
    assert len(conversation.messages) == 123  # materialised on entering "completed"
    assert client.job_status(submitted.job_id).vendor_state == "completed"
    [submit] = emulator.requests("symbl", "POST /v1/process/audio/url")
    assert submit.query == {"enableSpeakerDiarization": ["true"], "diarizationSpeakerCount": ["4"]}
    assert submit.json() == {"url": MEDIA, "name": "weekly"}

    transcript = client.fetch_transcript(submitted.conversation_id)
    turns = emulator.datasets.symbl_process.turns
    assert [u.text for u in transcript.utterances] == [t.text for t in turns]
    assert [u.external_id for u in transcript.utterances] == conversation.message_ids()
    assert len(transcript.speakers) == 4 and {s.name for s in transcript.speakers} == {
        "Speaker 1",
        "Speaker 2",
        "Speaker 3",
        "Speaker 4",
    }
    questions = [i for i in transcript.insights if i.type == "question"]
    assert len(questions) == sum(t.text.endswith("?") for t in turns) > 0
    assert any(i.type == "action_item" and i.assignee_label for i in transcript.insights)


def test_file_submits_and_appends_take_raw_bytes_with_options_in_the_query(emulator, client):
    first = client.submit_file(b"ID3-audio", "audio/mpeg", name="call", speaker_count=2)
    appended = client.append_file(first.conversation_id, b"OggS-audio", "audio/ogg", language="es")
    [post] = emulator.requests("symbl", "POST /v1/process/audio")
    assert post.body == b"ID3-audio" and post.header("Content-Type") == "audio/mpeg"
    assert post.query == {
        "name": ["call"],
        "enableSpeakerDiarization": ["true"],
        "diarizationSpeakerCount": ["2"],
    }
    [put] = emulator.requests("symbl", "PUT /v1/process/audio/*")
    assert put.path == f"/v1/process/audio/{first.conversation_id}"
    assert put.header("Content-Type") is None  # only the audio types Symbl lists are named
    assert put.query == {"languageCode": ["es"], "enableSpeakerDiarization": ["true"]}
    assert emulator.symbl.jobs[appended.job_id].kind == "append"
    assert emulator.symbl.jobs[appended.job_id].options["bytes"] == len(b"OggS-audio")
    with pytest.raises(ProviderError) as info:
        client.append_file("404404", b"OggS-audio", "audio/ogg")
    assert info.value.status == 404


def test_time_driven_jobs_call_the_webhook_on_every_change_and_appends_wait_their_turn(
    emulator, client, receiver
):
    emulator.symbl.advance = Advance.every(0.1)
    first = client.submit_url(MEDIA, name="a", webhook_url=receiver.url("/one"))
    append = client.append_url(first.conversation_id, MEDIA, webhook_url=receiver.url("/two"))
    assert emulator.symbl.jobs[append.job_id].progress.started_at is None  # queued behind
    bodies = receiver.wait(4)
    assert bodies[:2] == [
        {"jobId": first.job_id, "status": "in_progress"},
        {"jobId": first.job_id, "status": "completed"},
    ]
    assert bodies[2:] == [
        {"jobId": append.job_id, "status": "in_progress"},
        {"jobId": append.job_id, "status": "completed"},
    ]
    conversation = emulator.symbl.conversation(first.conversation_id)
    turns = len(emulator.datasets.symbl_process.turns) + len(emulator.datasets.symbl_append.turns)
    assert len(conversation.messages) == turns
    assert len(conversation.members) == 8  # the append's speakers are new "Speaker N" members


def test_jobs_moved_by_hand_stay_put_until_moved_on_and_appends_wait_their_turn(
    emulator, client, receiver
):
    emulator.symbl.advance = Advance.by_hand()
    first = client.submit_url(MEDIA, name="a", webhook_url=receiver.url())
    append = client.append_url(first.conversation_id, MEDIA)
    reads = [client.job_status(first.job_id).vendor_state for _ in range(3)]
    assert reads == ["scheduled"] * 3 and not receiver.calls
    with pytest.raises(RuntimeError, match="not started"):
        emulator.symbl.move_on(append.job_id)  # queued behind the first job

    assert emulator.symbl.move_on(first.job_id) == "in_progress"
    assert receiver.wait(1) == [{"jobId": first.job_id, "status": "in_progress"}]
    conversation = emulator.symbl.conversation(first.conversation_id)
    assert client.job_status(first.job_id).vendor_state == "in_progress"
    assert not conversation.messages
    assert emulator.symbl.move_on(first.job_id) == "completed"
    assert len(conversation.messages) == len(emulator.datasets.symbl_process.turns)
    assert receiver.wait(2)[1] == {"jobId": first.job_id, "status": "completed"}
    with pytest.raises(RuntimeError, match="already completed"):
        emulator.symbl.move_on(first.job_id)
    assert emulator.symbl.move_on(append.job_id) == "in_progress"  # its turn now


def test_member_rename_and_merge_by_email(emulator, client):
    submitted = client.submit_url(MEDIA, name="a")
    while client.job_status(submitted.job_id).vendor_state != "completed":
        pass
    conversation = emulator.symbl.conversation(submitted.conversation_id)
    ana, other, *_ = conversation.members
    client.update_member(conversation.id, ana, name="Ana Ruiz", email="ana@example.com")
    assert conversation.members[ana].name == "Ana Ruiz"
    moved = [m.id for m in conversation.messages if m.member_id == other]
    client.update_member(conversation.id, other, name="Whoever", email="ANA@example.com")
    assert other not in conversation.members  # merged: the survivor keeps its own id
    assert {m.member_id for m in conversation.messages if m.id in moved} == {ana}
    assert all(other not in (i.from_id, i.assignee_id) for i in conversation.insights)
    transcript = client.fetch_transcript(conversation.id)
    assert len(transcript.speakers) == 3 and "Whoever" not in {s.name for s in transcript.speakers}
    with pytest.raises(ProviderError) as info:
        client.update_member(conversation.id, other, name="Gone")
    assert info.value.status == 404
    url = f"{emulator.base_url('symbl')}/v1/conversations/{conversation.id}/members/{ana}"
    token = client.access_token()
    answer = requests.put(url, json={"id": other, "name": "x"}, headers={"x-api-key": token})
    assert answer.status_code == 400


def test_an_expired_token_gets_401_once_and_the_client_refreshes(emulator, client):
    submitted = client.submit_url(MEDIA, name="a")
    emulator.symbl.expire_tokens()
    assert client.job_status(submitted.job_id).vendor_state == "scheduled"
    lines = [(r.line.split("/")[1], r.status) for r in emulator.requests("symbl")]
    assert lines[-3:] == [("v1", 401), ("oauth2", 200), ("v1", 200)]


def test_failed_outcome_and_concurrency_limit(emulator, client):
    emulator.inject("symbl", "POST /v1/process/audio/url", Fault.outcome("failed"))
    failed = client.submit_url(MEDIA, name="a")
    states = [client.job_status(failed.job_id) for _ in range(3)]
    assert states[-1].state == "failed" and "could not be processed" in states[-1].error
    emulator.symbl.max_concurrent_jobs = 1
    client.submit_url(MEDIA, name="b")
    with pytest.raises(ProviderError) as info:
        client.submit_url(MEDIA, name="c")
    assert info.value.status == 429 and info.value.retryable
