"""SymblClient against recorded Symbl bodies (vendor-apis.md section 1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
import responses
from responses import matchers

from providers.symbl import SubmitResult, SymblClient
from providers.types import ProviderError, Speaker

RECORDED = Path(__file__).parent / "recorded" / "symbl"
BASE = "https://api.symbl.ai"
TOKEN_URL = f"{BASE}/oauth2/token:generate"
CONV = "5120334411530240"
JOB = "3d1f0b7e-2a9c-4c55-9e0a-8b7a61c2f4d1"
JOB_URL = f"{BASE}/v1/job/{JOB}"
CONV_URL = f"{BASE}/v1/conversations/{CONV}"
SPK1 = "9d6d34d9-5019-4a1e-8c2b-7e6f5a4b3c21"
SPK2 = "2f69f1c8-bf0a-4f4e-9a57-0b1c2d3e4f50"
LUCY = "c99e7baf-1111-4222-8333-444455556666"
APP_SECRET = "app-secret-Zq81xV0mPp"


def recorded(name: str):
    return json.loads((RECORDED / name).read_text())


TOKEN_1 = recorded("token.json")["accessToken"]
TOKEN_2 = recorded("token_refreshed.json")["accessToken"]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def client(clock):
    return SymblClient("app-id-1", APP_SECRET, clock=clock)


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def token_calls(rsps):
    return [c for c in rsps.calls if c.request.url == TOKEN_URL]


def add_token(rsps, body="token.json"):
    return rsps.post(
        TOKEN_URL,
        json=recorded(body),
        match=[
            matchers.json_params_matcher(
                {"type": "application", "appId": "app-id-1", "appSecret": APP_SECRET}
            )
        ],
    )


def job_body(status: str) -> dict:
    return {**recorded("job.json"), "status": status}


# -- token (1.1, 1.7) ------------------------------------------------------------------------


def test_token_is_cached_and_sent_as_bearer(client, mocked):
    add_token(mocked)
    mocked.get(JOB_URL, json=recorded("job.json"))
    client.job_status(JOB)
    client.job_status(JOB)
    assert len(token_calls(mocked)) == 1
    job_calls = [c for c in mocked.calls if c.request.url == JOB_URL]
    assert [c.request.headers["Authorization"] for c in job_calls] == [f"Bearer {TOKEN_1}"] * 2


def test_token_is_refreshed_five_minutes_before_expiry(client, clock, mocked):
    add_token(mocked)
    mocked.get(JOB_URL, json=recorded("job.json"))
    client.job_status(JOB)
    clock.now += 86400 - 301
    client.job_status(JOB)
    assert len(token_calls(mocked)) == 1
    clock.now += 2  # now 299 s before expiry
    client.job_status(JOB)
    assert len(token_calls(mocked)) == 2


def test_short_lived_token_is_kept_for_half_its_lifetime(client, clock, mocked):
    mocked.post(TOKEN_URL, json={"accessToken": TOKEN_1, "expiresIn": 100})
    mocked.get(JOB_URL, json=recorded("job.json"))
    client.job_status(JOB)
    clock.now += 49
    client.job_status(JOB)
    assert len(token_calls(mocked)) == 1
    clock.now += 2
    client.job_status(JOB)
    assert len(token_calls(mocked)) == 2


def test_401_refreshes_the_token_and_replays_once(client, mocked):
    mocked.post(TOKEN_URL, json=recorded("token.json"))
    mocked.post(TOKEN_URL, json=recorded("token_refreshed.json"))
    mocked.get(JOB_URL, status=401, json=recorded("error_bad_token.json"))
    mocked.get(JOB_URL, json=job_body("completed"))
    assert client.job_status(JOB).state == "done"
    job_calls = [c for c in mocked.calls if c.request.url == JOB_URL]
    assert [c.request.headers["Authorization"] for c in job_calls] == [
        f"Bearer {TOKEN_1}",
        f"Bearer {TOKEN_2}",
    ]
    assert len(token_calls(mocked)) == 2


def test_second_401_is_raised_without_a_third_attempt(client, mocked):
    mocked.post(TOKEN_URL, json=recorded("token.json"))
    mocked.get(JOB_URL, status=401, json=recorded("error_bad_token.json"))
    with pytest.raises(ProviderError) as info:
        client.job_status(JOB)
    err = info.value
    assert (err.status, err.error_type, err.retryable) == (401, "http_401", False)
    assert "Token validation failed for provided token." in err.message
    assert len([c for c in mocked.calls if c.request.url == JOB_URL]) == 2
    assert len(token_calls(mocked)) == 2


def test_replay_keeps_the_body_and_headers(client, mocked):
    mocked.post(TOKEN_URL, json=recorded("token.json"))
    url = f"{BASE}/v1/process/audio"
    mocked.post(url, status=401, json=recorded("error_bad_token.json"))
    mocked.post(url, status=201, json=recorded("submit.json"))
    client.submit_file(b"RIFF0000WAVE", "audio/wav", name="c-1")
    first, second = [c.request for c in mocked.calls if c.request.url.startswith(url)]
    assert first.body == second.body == b"RIFF0000WAVE"
    assert second.headers["Content-Type"] == "audio/wav"


def test_bad_credentials_are_terminal(client, mocked):
    mocked.post(TOKEN_URL, status=401, json={"message": "Invalid appId or appSecret."})
    with pytest.raises(ProviderError) as info:
        client.job_status(JOB)
    assert (info.value.error_type, info.value.retryable) == ("http_401", False)
    assert APP_SECRET not in str(info.value)


@pytest.mark.parametrize(
    "body", [{"accessToken": "", "expiresIn": 10}, {"accessToken": "t"}, {"expiresIn": 5}]
)
def test_token_reply_without_fields_is_malformed(client, mocked, body):
    mocked.post(TOKEN_URL, json=body)
    with pytest.raises(ProviderError) as info:
        client.access_token()
    assert info.value.error_type == "malformed_body"


# -- submit / append (1.2) -------------------------------------------------------------------


def test_submit_url_sends_diarization_as_query_params(client, mocked):
    add_token(mocked)
    mocked.post(
        f"{BASE}/v1/process/audio/url",
        status=201,
        json=recorded("submit.json"),
        match=[
            matchers.query_param_matcher(
                {"enableSpeakerDiarization": "true", "diarizationSpeakerCount": "2"}
            ),
            matchers.json_params_matcher(
                {
                    "url": "https://media.example/a.wav",
                    "name": "conv-uuid",
                    "languageCode": "en-US",
                    "webhookUrl": "https://portal.example/hooks/symbl/t0k",
                }
            ),
        ],
    )
    result = client.submit_url(
        "https://media.example/a.wav",
        name="conv-uuid",
        speaker_count=2,
        language="en-US",
        webhook_url="https://portal.example/hooks/symbl/t0k",
    )
    assert result == SubmitResult(conversation_id=CONV, job_id=JOB)


def test_submit_url_without_count_only_enables_diarization(client, mocked):
    add_token(mocked)
    mocked.post(
        f"{BASE}/v1/process/audio/url",
        status=201,
        json=recorded("submit.json"),
        match=[
            matchers.query_param_matcher({"enableSpeakerDiarization": "true"}),
            matchers.json_params_matcher({"url": "https://m.example/a.mp3", "name": "n"}),
        ],
    )
    client.submit_url("https://m.example/a.mp3", name="n")


@pytest.mark.parametrize("count", [0, -1, 2.5, True, "2"])
def test_bad_speaker_count_is_refused_before_any_call(client, count):
    with pytest.raises(ValueError, match="speaker_count"):
        client.submit_url("https://m.example/a.mp3", name="n", speaker_count=count)


@pytest.mark.parametrize(
    ("content_type", "path", "sent_type"),
    [
        ("audio/wav", "/v1/process/audio", "audio/wav"),
        ("audio/mpeg; charset=binary", "/v1/process/audio", "audio/mpeg"),
        ("audio/flac", "/v1/process/audio", None),
        (None, "/v1/process/audio", None),
        ("video/mp4", "/v1/process/video", "video/mp4"),
    ],
)
def test_submit_file_puts_options_in_the_query(client, mocked, content_type, path, sent_type):
    add_token(mocked)
    mocked.post(
        f"{BASE}{path}",
        status=201,
        json=recorded("submit.json"),
        match=[
            matchers.query_param_matcher(
                {
                    "name": "conv-uuid",
                    "enableSpeakerDiarization": "true",
                    "diarizationSpeakerCount": "3",
                }
            )
        ],
    )
    data = b"\x00\x01" * 500
    client.submit_file(data, content_type, name="conv-uuid", speaker_count=3)
    sent = mocked.calls[-1].request
    assert sent.headers["Content-Length"] == "1000"
    assert sent.headers.get("Content-Type") == sent_type
    assert sent.body == data


def test_append_url_and_file_use_put_on_the_conversation(client, mocked):
    add_token(mocked)
    mocked.put(
        f"{BASE}/v1/process/audio/url/{CONV}",
        status=201,
        json=recorded("submit.json"),
        match=[
            matchers.query_param_matcher({"enableSpeakerDiarization": "true"}),
            matchers.json_params_matcher({"url": "https://m.example/part2.wav"}),
        ],
    )
    mocked.put(
        f"{BASE}/v1/process/audio/{CONV}",
        status=201,
        json=recorded("submit.json"),
        match=[matchers.query_param_matcher({"enableSpeakerDiarization": "true", "name": "p3"})],
    )
    assert client.append_url(CONV, "https://m.example/part2.wav").conversation_id == CONV
    assert client.append_file(CONV, b"abc", "audio/mp3", name="p3").job_id == JOB


def test_submit_reply_without_ids_is_malformed(client, mocked):
    add_token(mocked)
    mocked.post(f"{BASE}/v1/process/audio/url", status=201, json={"conversationId": CONV})
    with pytest.raises(ProviderError) as info:
        client.submit_url("https://m.example/a.mp3", name="n")
    assert info.value.error_type == "malformed_body"


# -- job (1.3) -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vendor_state", "state", "finished"),
    [
        ("scheduled", "submitted", False),
        ("in_progress", "processing", False),
        ("completed", "done", True),
        ("failed", "failed", True),
        ("paused_for_review", "processing", False),
    ],
)
def test_job_states_map_to_ours(client, mocked, vendor_state, state, finished):
    add_token(mocked)
    mocked.get(JOB_URL, json=job_body(vendor_state))
    status = client.job_status(JOB)
    assert (status.state, status.vendor_state, status.finished) == (state, vendor_state, finished)
    assert (status.error is not None) == (state == "failed")


def test_job_reply_without_status_is_malformed(client, mocked):
    add_token(mocked)
    mocked.get(JOB_URL, json={"id": JOB})
    with pytest.raises(ProviderError, match="no status") as info:
        client.job_status(JOB)
    assert info.value.retryable


def test_job_malformed_json_body(client, mocked):
    add_token(mocked)
    mocked.get(JOB_URL, body="<html>502 Bad Gateway</html>", content_type="text/html")
    with pytest.raises(ProviderError) as info:
        client.job_status(JOB)
    assert (info.value.error_type, info.value.retryable) == ("malformed_body", True)


def test_job_timeout_is_retryable(client, mocked):
    add_token(mocked)
    mocked.get(JOB_URL, body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(ProviderError) as info:
        client.job_status(JOB)
    assert (info.value.error_type, info.value.retryable) == ("timeout", True)


# -- errors (1.6) ----------------------------------------------------------------------------


def test_concurrency_429_is_retryable_with_the_vendor_message(client, mocked):
    add_token(mocked)
    mocked.post(
        f"{BASE}/v1/process/audio/url", status=429, json=recorded("error_concurrency_429.json")
    )
    with pytest.raises(ProviderError) as info:
        client.submit_url("https://m.example/a.mp3", name="n")
    err = info.value
    assert (err.error_type, err.retryable, err.retry_after) == ("http_429", True, None)
    assert "concurrent jobs per account" in err.message


@pytest.mark.parametrize("status", [500, 502, 504])
def test_server_errors_are_retryable(client, mocked, status):
    add_token(mocked)
    mocked.get(JOB_URL, status=status, json={"message": "Internal server error"})
    with pytest.raises(ProviderError) as info:
        client.job_status(JOB)
    assert (info.value.error_type, info.value.retryable) == (f"http_{status}", True)


@pytest.mark.parametrize("status", [400, 403, 404, 405])
def test_client_errors_are_terminal(client, mocked, status):
    add_token(mocked)
    mocked.get(CONV_URL, status=status, json=recorded("error_not_found.json"))
    with pytest.raises(ProviderError) as info:
        client.fetch_transcript(CONV)
    err = info.value
    assert (err.error_type, err.retryable, err.status) == (f"http_{status}", False, status)
    assert "invalid or does not exist" in err.message


def test_secrets_never_appear_in_errors(client, mocked):
    add_token(mocked)
    mocked.get(JOB_URL, status=500, json={"message": f"bad token {TOKEN_1} for app {APP_SECRET}"})
    with pytest.raises(ProviderError) as info:
        client.job_status(JOB)
    assert TOKEN_1 not in str(info.value) and APP_SECRET not in str(info.value)


# -- conversation (1.5) ----------------------------------------------------------------------


def add_conversation(rsps, *, insights_status: int = 200):
    rsps.get(CONV_URL, json=recorded("conversation.json"))
    rsps.get(f"{CONV_URL}/members", json=recorded("members.json"))
    rsps.get(f"{CONV_URL}/messages", json=recorded("messages.json"))
    if insights_status == 200:
        rsps.get(f"{CONV_URL}/insights", json=recorded("insights.json"))
    else:
        rsps.get(f"{CONV_URL}/insights", status=insights_status, json={"message": "gone"})
    rsps.get(f"{CONV_URL}/action-items", json=recorded("action_items.json"))
    rsps.get(f"{CONV_URL}/questions", json=recorded("questions.json"))
    rsps.get(f"{CONV_URL}/follow-ups", json=recorded("follow_ups.json"))


def test_fetch_transcript_end_to_end(client, mocked):
    add_token(mocked)
    add_conversation(mocked)
    transcript = client.fetch_transcript(CONV)
    assert transcript.source == "symbl" and transcript.global_speaker_ids
    assert transcript.title == "Weekly sync"
    assert transcript.started_at == "2024-03-04T10:00:01.120Z"
    assert transcript.speakers[:2] == [
        Speaker(label=SPK1, name="Speaker 1"),
        Speaker(label=SPK2, name="Speaker 2", email="ana@example.com"),
    ]
    labels = {s.label for s in transcript.speakers}
    assert {"unknown", LUCY} <= labels
    assert [(u.speaker_label, u.start, u.external_id) for u in transcript.utterances] == [
        (SPK2, 191.38, "6412283618000896"),
        (SPK1, 238.88, "4854542482014208"),
        ("unknown", 243.88, "4854542482014209"),
    ]
    assert transcript.utterances[0].end == pytest.approx(192.98)
    by_type = {i.type: i for i in transcript.insights}
    assert len(transcript.insights) == 3  # duplicates of /insights are dropped
    action = by_type["action_item"]
    assert (action.from_label, action.assignee_label) == (SPK1, SPK2)
    assert action.message_ids == ("4854542482014208",) and action.definitive is True
    assert action.due_by == "2024-03-05T07:00:00.000Z"
    assert by_type["question"].from_label == LUCY
    follow = by_type["follow_up"]
    assert (follow.from_label, follow.assignee_label) == (None, None)


def test_fetch_transcript_tolerates_a_missing_insights_endpoint(client, mocked):
    add_token(mocked)
    add_conversation(mocked, insights_status=404)
    transcript = client.fetch_transcript(CONV)
    assert {i.type for i in transcript.insights} == {"action_item", "question", "follow_up"}


def test_fetch_transcript_raises_on_insight_server_error(client, mocked):
    add_token(mocked)
    add_conversation(mocked, insights_status=502)
    with pytest.raises(ProviderError) as info:
        client.fetch_transcript(CONV)
    assert info.value.retryable


def test_fetch_transcript_without_messages_array_is_malformed(client, mocked):
    add_token(mocked)
    add_conversation(mocked)
    mocked.replace(responses.GET, f"{CONV_URL}/messages", json={"items": []})
    with pytest.raises(ProviderError) as info:
        client.fetch_transcript(CONV)
    assert info.value.error_type == "malformed_body"


def test_unparseable_conversation_is_a_terminal_parse_error(client, mocked):
    add_token(mocked)
    add_conversation(mocked)
    broken = {"messages": [{"id": "1", "text": "hi", "from": {}, "timeOffset": "soon"}]}
    mocked.replace(responses.GET, f"{CONV_URL}/messages", json=broken)
    with pytest.raises(ProviderError) as info:
        client.fetch_transcript(CONV)
    assert (info.value.error_type, info.value.retryable) == ("parse_error", False)
    assert "messages[0].timeOffset" in info.value.message


def test_update_member_puts_id_name_and_email(client, mocked):
    add_token(mocked)
    url = f"{CONV_URL}/members/{SPK1}"
    mocked.put(
        url,
        json=recorded("member_updated.json"),
        match=[
            matchers.json_params_matcher(
                {"id": SPK1, "name": "Ravi Kumar", "email": "ravi@example.com"}
            )
        ],
    )
    message = client.update_member(CONV, SPK1, name="Ravi Kumar", email="ravi@example.com")
    assert "updated successfully" in message


def test_update_member_without_email_omits_it(client, mocked):
    add_token(mocked)
    mocked.put(
        f"{CONV_URL}/members/{SPK2}",
        json=recorded("member_updated.json"),
        match=[matchers.json_params_matcher({"id": SPK2, "name": "Ana Ruiz"})],
    )
    client.update_member(CONV, SPK2, name="Ana Ruiz")


def test_delete_conversation(client, mocked):
    add_token(mocked)
    mocked.delete(CONV_URL, json=recorded("deleted.json"))
    assert client.delete_conversation(CONV) == "successfully deleted the conversation"


def test_ids_are_escaped_in_paths(client, mocked):
    add_token(mocked)
    mocked.get(f"{BASE}/v1/job/a%2Fb", json=job_body("scheduled"))
    assert client.job_status("a/b").state == "submitted"
