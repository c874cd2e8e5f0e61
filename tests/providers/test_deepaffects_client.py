"""DeepAffectsClient and its webhook parser (vendor-apis.md section 4)."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path

import pytest
import requests
from responses import matchers

from providers.deepaffects import DeepAffectsClient, webhook_to_transcript
from providers.types import ParseError, Speaker, Utterance
from tests.providers._support import raised

RECORDED = Path(__file__).parent / "recorded" / "deepaffects"
BASE = "https://proxy.api.deepaffects.com"
URL = f"{BASE}/audio/generic/api/v2/async/diarize"
API_KEY = "da-key-0a1b2c3d4e5f"
REQ = "8c0a7f52-91d4-4c1e-b1b3-0d6a5c2e9f10"
HOOK = "https://portal.example/hooks/deepaffects/job-token-9q8w7e"


def recorded(name: str):
    return json.loads((RECORDED / name).read_text())


@pytest.fixture
def client():
    return DeepAffectsClient(API_KEY)


def submit(client, **kwargs):
    args = {"request_id": REQ, "webhook_url": HOOK, "encoding": "FLAC", "sample_rate": 16000}
    return client.diarize_async(**{**args, **kwargs})


QUERY = matchers.query_param_matcher({"apikey": API_KEY, "webhook": HOOK, "request_id": REQ})


# -- submit (4.1) ----------------------------------------------------------------------------


def test_diarize_async_with_content(client, mocked):
    audio = b"fLaC\x00\x00\x00\x22audio"
    mocked.post(
        URL,
        json=recorded("accepted.json"),
        match=[
            QUERY,
            matchers.json_params_matcher(
                {
                    "encoding": "FLAC",
                    "sampleRate": 16000,
                    "languageCode": "en-US",
                    "speakers": -1,
                    "audioType": "meeting",
                    "content": base64.b64encode(audio).decode(),
                }
            ),
        ],
    )
    assert submit(client, content=audio) == REQ
    assert mocked.calls[0].request.req_kwargs["timeout"] == (5, 120)


def test_diarize_async_with_url_and_options(client, mocked):
    mocked.post(
        URL,
        json=recorded("accepted.json"),
        match=[
            QUERY,
            matchers.json_params_matcher(
                {
                    "encoding": "MP3",
                    "sampleRate": 8000,
                    "languageCode": "es-ES",
                    "speakers": 2,
                    "audioType": "callcenter",
                    "speakerIds": ["agent", "caller"],
                    "doVad": True,
                    "vad": True,
                    "url": "https://media.example/call.mp3",
                }
            ),
        ],
    )
    request_id = submit(
        client,
        url="https://media.example/call.mp3",
        encoding="MP3",
        sample_rate=8000,
        speakers=2,
        audio_type="callcenter",
        language="es-ES",
        speaker_ids=["agent", "caller"],
        vad=True,
    )
    assert request_id == REQ


def test_reply_without_request_id_returns_ours(client, mocked):
    mocked.post(URL, json={"api": "diarize"})
    assert submit(client, url="https://media.example/a.wav") == REQ


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"url": "https://m.example/a", "content": b"x"},
        {"url": "https://m.example/a", "audio_type": "podcast"},
        {"url": "https://m.example/a", "request_id": ""},
        {"url": "https://m.example/a", "webhook_url": ""},
    ],
)
def test_bad_arguments(client, kwargs):
    with pytest.raises(ValueError):
        submit(client, **kwargs)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retryable_and_redacted(client, mocked, status):
    mocked.post(URL, status=status, body="Service Unavailable")
    err = raised(lambda: submit(client, url="https://m.example/a"))
    assert (err.error_type, err.retryable) == (f"http_{status}", True)
    assert API_KEY not in str(err) and "job-token-9q8w7e" not in str(err)
    assert f"request_id={REQ}" in str(err)


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_client_errors_are_terminal(client, mocked, status):
    mocked.post(URL, status=status, json={"message": f"invalid apikey {API_KEY}"})
    err = raised(lambda: submit(client, url="https://m.example/a"))
    assert (err.error_type, err.retryable) == (f"http_{status}", False)
    assert API_KEY not in str(err)


def test_connection_error_message_holds_no_key(client, mocked):
    text = f"Max retries exceeded with url: /audio/generic/api/v2/async/diarize?apikey={API_KEY}"
    mocked.post(URL, body=requests.exceptions.ConnectionError(text))
    err = raised(lambda: submit(client, url="https://m.example/a"))
    assert err.error_type == "connection" and err.retryable
    assert API_KEY not in str(err)


def test_timeout_is_retryable(client, mocked):
    mocked.post(URL, body=requests.exceptions.ReadTimeout())
    err = raised(lambda: submit(client, url="https://m.example/a"))
    assert (err.error_type, err.retryable) == ("timeout", True)


def test_malformed_acknowledgement(client, mocked):
    mocked.post(URL, body="<html>ok</html>", content_type="text/html")
    assert raised(lambda: submit(client, url="https://m.example/a")).error_type == (
        "malformed_body"
    )


# -- webhook (4.1, 4.2) ----------------------------------------------------------------------


def test_webhook_with_string_ids():
    request_id, transcript = webhook_to_transcript(recorded("webhook.json"))
    assert request_id == REQ
    assert transcript.source == "deepaffects" and not transcript.has_text
    assert transcript.speakers == [Speaker("speaker1"), Speaker("speaker2")]
    assert transcript.utterances == [
        Utterance("speaker1", 0.0, 4.2),
        Utterance("speaker2", 4.2, 9.7),
    ]


def test_webhook_with_int_ids_under_speaker_id_camel_case():
    _, transcript = webhook_to_transcript(recorded("webhook_int_speakerId.json"))
    assert [s.label for s in transcript.speakers] == ["1", "2"]
    assert [u.speaker_label for u in transcript.utterances] == ["1", "2", "1"]


@pytest.mark.parametrize("key", ["speaker_id", "speakerId"])
@pytest.mark.parametrize(("value", "label"), [("speaker1", "speaker1"), (1, "1"), (0, "0")])
def test_speaker_id_type_and_key_variants(key, value, label):
    body = {"request_id": REQ, "response": {"segments": [{key: value, "start": 0, "end": 1.5}]}}
    _, transcript = webhook_to_transcript(body)
    assert transcript.speakers == [Speaker(label)]
    assert transcript.utterances == [Utterance(label, 0.0, 1.5)]


def test_segment_list_as_response_and_empty_segments():
    segments = recorded("webhook.json")["response"]["segments"]
    assert len(webhook_to_transcript({"request_id": REQ, "response": segments})[1].utterances) == 2
    _, empty = webhook_to_transcript({"request_id": REQ, "response": {"num_speakers": 0}})
    assert (empty.speakers, empty.utterances) == ([], [])


@pytest.mark.parametrize(
    ("mutate", "location"),
    [
        (lambda b: b.pop("request_id"), "request_id"),
        (lambda b: b.update(response=None), "response"),
        (lambda b: b["response"].update(segments={}), "response.segments"),
        (lambda b: b["response"]["segments"][0].pop("speaker_id"), "speakerId"),
        (lambda b: b["response"]["segments"][0].update(speaker_id=True), "speaker_id"),
        (lambda b: b["response"]["segments"][0].update(speaker_id=1.5), "speaker_id"),
        (lambda b: b["response"]["segments"][0].update(start="0"), "start"),
        (lambda b: b["response"]["segments"][1].update(end=1.0), "end"),
    ],
)
def test_webhook_parse_errors(mutate, location):
    body = copy.deepcopy(recorded("webhook.json"))
    mutate(body)
    with pytest.raises(ParseError) as info:
        webhook_to_transcript(body)
    assert info.value.location.endswith(location)
