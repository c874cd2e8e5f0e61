"""PhonexiaClient against recorded Speech Platform 4 bodies (vendor-apis.md section 3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from responses import matchers

from providers.phonexia import PhonexiaClient, PhonexiaTask, result_to_transcript
from providers.types import ParseError, Speaker, Utterance
from tests.providers._support import raised

RECORDED = Path(__file__).parent / "recorded" / "phonexia"
BASE = "https://phonexia.example:8443"
START = f"{BASE}/api/technology/speaker-diarization"
TASK = "0b8f6a52-3c1e-4d7a-9a50-2f7e1c9d4b11"
TASK_URL = f"{START}/{TASK}"
API_KEY = "phx-key-71c0ffee42"
NOW = 1_709_553_600


def recorded(name: str):
    return json.loads((RECORDED / name).read_text())


@pytest.fixture
def client():
    return PhonexiaClient(BASE + "/", api_key=API_KEY)


# -- start (3.1) -----------------------------------------------------------------------------


def test_start_reads_task_id_from_x_location(client, mocked):
    mocked.post(
        START,
        status=202,
        json=recorded("task_accepted.json"),
        headers={"X-Location": f"/api/technology/speaker-diarization/{TASK}"},
        match=[
            matchers.query_param_matcher({"channel_mode": "split"}),
            matchers.header_matcher(
                {"X-Correlation-Id": "sync-job-1", "Authorization": f"Bearer {API_KEY}"}
            ),
        ],
    )
    task_id = client.start_diarization(
        b"RIFFaudio", "call.wav", max_speakers=3, correlation_id="sync-job-1"
    )
    assert task_id == TASK
    request = mocked.calls[0].request
    assert request.headers["Content-Type"].startswith("multipart/form-data")
    assert b'name="file"; filename="call.wav"' in request.body and b"RIFFaudio" in request.body
    assert b'name="config"\r\n\r\n{"max_speakers":3}' in request.body
    assert request.req_kwargs["timeout"] == (5, 120)


def test_start_falls_back_to_the_body(client, mocked):
    mocked.post(START, status=202, json=recorded("task_accepted.json"))
    assert client.start_diarization(b"x", "a.wav", total_speakers=2) == TASK
    assert b'{"total_speakers":2}' in mocked.calls[0].request.body


def test_start_with_flat_task_id_body(client, mocked):
    mocked.post(START, status=202, json={"task_id": TASK, "state": "pending"})
    assert client.start_diarization(b"x", "a.wav") == TASK
    assert b'name="config"' not in mocked.calls[0].request.body


def test_start_without_any_task_id_is_malformed(client, mocked):
    mocked.post(START, status=202, json={"accepted": True})
    err = raised(lambda: client.start_diarization(b"x", "a.wav"))
    assert err.error_type == "malformed_body"


def test_start_query_options(client, mocked):
    mocked.post(
        START,
        status=202,
        headers={"X-Location": f"{START}/{TASK}/"},
        match=[
            matchers.query_param_matcher(
                {"channel_mode": "mix", "channels": "0,1", "range_from": "1.5", "range_to": "60"}
            )
        ],
    )
    task_id = client.start_diarization(
        b"x", "a.wav", channel_mode="mix", channels=[0, 1], range_from=1.5, range_to=60
    )
    assert task_id == TASK


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_speakers": 3, "total_speakers": 2},
        {"max_speakers": 0},
        {"total_speakers": True},
        {"channel_mode": "stereo"},
    ],
)
def test_start_refuses_bad_config(client, kwargs):
    with pytest.raises(ValueError):
        client.start_diarization(b"x", "a.wav", **kwargs)


@pytest.mark.parametrize("status", [400, 403, 413, 422])
def test_start_client_errors_are_terminal(client, mocked, status):
    mocked.post(START, status=status, json=recorded("error_422.json"))
    err = raised(lambda: client.start_diarization(b"x", "a.wav"))
    assert (err.error_type, err.retryable) == (f"http_{status}", False)
    assert "query.channel_mode: Input should be 'split' or 'mix'" in err.message


def test_429_reads_retry_after(client, mocked):
    headers = {
        "retry-after": "20",
        "x-ratelimit-limit": "10",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": str(NOW + 60),
    }
    mocked.post(START, status=429, json=recorded("error_429.json"), headers=headers)
    err = raised(lambda: client.start_diarization(b"x", "a.wav"))
    assert (err.error_type, err.retryable, err.retry_after) == ("http_429", True, 20.0)
    assert "request.rate-limit-exceeded: Rate limit exceeded." in err.message


def test_429_with_only_ratelimit_reset_uses_the_epoch(client, mocked):
    client.http.clock = lambda: NOW
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(NOW + 45)}
    mocked.get(TASK_URL, status=429, json=recorded("error_429.json"), headers=headers)
    assert raised(lambda: client.task(TASK)).retry_after == 45.0


def test_507_storage_full_is_retryable(client, mocked):
    mocked.post(START, status=507, json=recorded("error_507.json"))
    err = raised(lambda: client.start_diarization(b"x", "a.wav"))
    assert (err.error_type, err.retryable) == ("http_507", True)
    assert "Storage is full." in err.message


def test_upload_timeout_is_retryable(client, mocked):
    mocked.post(START, body=requests.exceptions.ConnectTimeout())
    err = raised(lambda: client.start_diarization(b"x", "a.wav"))
    assert (err.error_type, err.retryable) == ("timeout", True)


def test_api_key_never_appears_in_errors(client, mocked):
    mocked.post(START, status=403, json={"error": {"type": "auth", "message": f"bad {API_KEY}"}})
    err = raised(lambda: client.start_diarization(b"x", "a.wav"))
    assert API_KEY not in str(err)


# -- result (3.2) ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "state", "ours"),
    [
        ("task_pending.json", "pending", "submitted"),
        ("task_running.json", "running", "processing"),
        ("task_done.json", "done", "done"),
        ("task_rejected.json", "rejected", "rejected"),
        ("task_failed.json", "failed", "failed"),
    ],
)
def test_task_states(client, mocked, name, state, ours):
    mocked.get(TASK_URL, json=recorded(name))
    task = client.task(TASK)
    assert (task.state, task.job_status.state, task.task_id) == (state, ours, TASK)
    assert (task.transcript is not None) == (state == "done")


def test_done_task_becomes_a_transcript(client, mocked):
    mocked.get(TASK_URL, json=recorded("task_done.json"))
    transcript = client.task(TASK).transcript
    assert transcript.source == "phonexia" and not transcript.has_text
    assert transcript.speakers == [Speaker("0", channel=0), Speaker("1", channel=0)]
    assert transcript.utterances == [Utterance("0", 1.25, 6.8), Utterance("1", 7.02, 12.4)]


def test_speaker_ids_are_per_channel():
    transcript = result_to_transcript(recorded("task_done_split.json"))
    assert transcript.speakers == [
        Speaker("0", channel=0),
        Speaker("0", channel=1),
        Speaker("1", channel=1),
    ]
    assert [(u.channel, u.speaker_label, u.start) for u in transcript.utterances] == [
        (0, "0", 0.5),
        (1, "0", 4.2),
        (1, "1", 8.0),
    ]


def test_result_object_alone_is_accepted():
    result = recorded("task_done.json")["result"]
    assert len(result_to_transcript(result).utterances) == 2


def test_rejected_task_reports_the_input_problem(client, mocked):
    mocked.get(TASK_URL, json=recorded("task_rejected.json"))
    task = client.task(TASK)
    assert task.error_type == "task.validation-error"
    assert task.error_message == "Input validation failed. (0.file: Audio could not be decoded.)"
    status = task.job_status
    assert (status.state, status.finished) == ("rejected", True)
    assert status.error.startswith("task.validation-error: Input validation failed.")


def test_failed_task(client, mocked):
    mocked.get(TASK_URL, json=recorded("task_failed.json"))
    task = client.task(TASK)
    assert (task.error_type, task.error_message) == (
        "internal",
        "Technology worker terminated unexpectedly.",
    )
    assert task.job_status.state == "failed"


def test_unknown_state_keeps_polling():
    assert PhonexiaTask("queued_v5").job_status.state == "processing"


def test_unknown_task_is_a_terminal_404(client, mocked):
    mocked.get(TASK_URL, status=404, json={"error": {"type": "not-found", "message": "No task"}})
    err = raised(lambda: client.task(TASK))
    assert (err.status, err.retryable) == (404, False)


def test_task_reply_without_state_is_malformed(client, mocked):
    mocked.get(TASK_URL, json={"result": {}})
    assert raised(lambda: client.task(TASK)).error_type == "malformed_body"


def test_task_malformed_json(client, mocked):
    mocked.get(TASK_URL, body="{", content_type="application/json")
    err = raised(lambda: client.task(TASK))
    assert (err.error_type, err.retryable) == ("malformed_body", True)


def test_done_task_with_bad_result_is_a_parse_error(client, mocked):
    body = recorded("task_done.json")
    body["result"]["channels"][0]["segments"][0]["end_time"] = 0.5
    mocked.get(TASK_URL, json=body)
    err = raised(lambda: client.task(TASK))
    assert (err.error_type, err.retryable) == ("parse_error", False)
    assert "segments[0].end_time" in err.message


@pytest.mark.parametrize(
    ("mutate", "location"),
    [
        (lambda b: b.pop("result"), "result.channels"),
        (lambda b: b["result"]["channels"][0].update(channel_number=-1), "channel_number"),
        (lambda b: b["result"]["channels"][0].update(segments={}), "segments"),
        (lambda b: b["result"]["channels"][0]["segments"][0].update(speaker_id=None), "speaker_id"),
        (lambda b: b["result"]["channels"][0]["segments"][0].update(start_time="1"), "start_time"),
        (lambda b: b["result"]["channels"][0]["segments"][0].update(start_time=-1), "start_time"),
    ],
)
def test_result_parse_errors_name_the_path(mutate, location):
    body = recorded("task_done.json")
    mutate(body)
    with pytest.raises(ParseError) as info:
        result_to_transcript(body)
    assert info.value.location.endswith(location)
