"""ElevenLabsClient, STT parsing and webhook signatures (vendor-apis.md section 2)."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest
import requests
import responses
from responses import matchers

from providers.elevenlabs import (
    REGIONS,
    AsyncAccepted,
    ElevenLabsClient,
    PvcSpeaker,
    SpeechEngine,
    SpeechEngineAsr,
    SpeechEngineCallLimits,
    SpeechEnginePrivacy,
    parse_speech_engine,
    stt_to_transcript,
    verify_webhook,
)
from providers.types import ParseError, ProviderError, Speaker, Utterance
from tests.providers._support import raised

RECORDED = Path(__file__).parent / "recorded" / "elevenlabs"
API_KEY = "sk_live_9f8e7d6c5b4a39281706"
BASE = REGIONS["default"]
PVC = f"{BASE}/v1/voices/pvc/VxQ1abc/samples/smp_77"
STT = f"{BASE}/v1/speech-to-text"
NOW = 1_709_553_600


def recorded(name: str):
    return json.loads((RECORDED / name).read_text())


@pytest.fixture
def client():
    return ElevenLabsClient(API_KEY)


# -- client setup ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "base"),
    [
        ("eu-residency", "https://api.eu.residency.elevenlabs.io"),
        ("us", "https://api.us.elevenlabs.io"),
        ("https://api.sg.residency.elevenlabs.io/", "https://api.sg.residency.elevenlabs.io"),
    ],
)
def test_region_key_or_url(region, base):
    assert ElevenLabsClient(API_KEY, base_url=region).base_url == base


def test_regions_cover_every_sdk_environment():
    assert set(REGIONS) == {"default", "us", "eu-residency", "in-residency", "sg-residency"}


# -- PVC (2.1) -------------------------------------------------------------------------------


def test_start_separation_sends_the_api_key(client, mocked):
    mocked.post(
        f"{PVC}/separate-speakers",
        json=recorded("pvc_start.json"),
        match=[matchers.header_matcher({"xi-api-key": API_KEY})],
    )
    assert client.start_separation("VxQ1abc", "smp_77") == "ok"


def test_failed_start_is_a_retryable_500(client, mocked):
    mocked.post(f"{PVC}/separate-speakers", status=500, json={"detail": "Separation failed"})
    err = raised(lambda: client.start_separation("VxQ1abc", "smp_77"))
    assert (err.error_type, err.retryable) == ("http_500", True)


def test_separation_status_completed(client, mocked):
    mocked.get(f"{PVC}/speakers", json=recorded("pvc_speakers.json"))
    result = client.separation_status("VxQ1abc", "smp_77")
    assert result.status == "completed"
    assert result.speakers == [
        PvcSpeaker("spk_a", 41.2, [(0.4, 6.9)]),
        PvcSpeaker("spk_b", 17.8, [(7.1, 11.8)]),
    ]
    assert result.selected_speaker_ids == ["spk_a"]
    assert (result.job_status.state, result.job_status.finished) == ("done", True)


def test_separation_status_tolerates_nulls(client, mocked):
    mocked.get(f"{PVC}/speakers", json=recorded("pvc_speakers_nulls.json"))
    result = client.separation_status("VxQ1abc", "smp_77")
    assert result.speakers == [PvcSpeaker("spk_a", None, []), PvcSpeaker("spk_b", 17.8, [])]
    assert result.selected_speaker_ids == []
    assert result.job_status.state == "processing"


@pytest.mark.parametrize(
    ("status", "state"),
    [("not_started", "submitted"), ("pending", "processing"), ("failed", "failed"),
     ("reticulating", "processing")],
)  # fmt: skip
def test_separation_states(client, mocked, status, state):
    body = {**recorded("pvc_speakers_not_started.json"), "status": status}
    mocked.get(f"{PVC}/speakers", json=body)
    result = client.separation_status("VxQ1abc", "smp_77")
    assert (result.status, result.speakers, result.job_status.state) == (status, [], state)


def test_speaker_audio_is_decoded_from_base64(client, mocked):
    mocked.get(f"{PVC}/speakers/spk_a/audio", json=recorded("speaker_audio.json"))
    audio, media_type, duration = client.speaker_audio("VxQ1abc", "smp_77", "spk_a")
    assert audio == b"ID3\x04recorded-mp3-bytes"
    assert (media_type, duration) == ("audio/mpeg", 5.0)


def test_speaker_audio_with_bad_base64_is_malformed(client, mocked):
    mocked.get(f"{PVC}/speakers/spk_a/audio", json={"audio_base_64": "***not base64***"})
    err = raised(lambda: client.speaker_audio("VxQ1abc", "smp_77", "spk_a"))
    assert (err.error_type, err.retryable) == ("malformed_body", True)


def test_select_speakers_sends_the_full_list(client, mocked):
    mocked.post(
        PVC,
        json=recorded("select_speakers.json"),
        match=[matchers.json_params_matcher({"selected_speaker_ids": ["spk_a", "spk_b"]})],
    )
    assert client.select_speakers("VxQ1abc", "smp_77", ["spk_a", "spk_b"]) == "VxQ1abc"


def test_select_speakers_refuses_a_bare_string(client):
    with pytest.raises(TypeError):
        client.select_speakers("VxQ1abc", "smp_77", "spk_a")


def test_select_speakers_422_names_the_bad_item(client, mocked):
    mocked.post(PVC, status=422, json=recorded("error_422.json"))
    err = raised(lambda: client.select_speakers("VxQ1abc", "smp_77", ["spk_z"]))
    assert (err.error_type, err.retryable, err.status) == ("http_422", False, 422)
    assert "body.selected_speaker_ids.0: Unknown speaker id spk_z" in err.message


# -- errors (2.4) ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "status", "retryable", "expected"),
    [
        ("error_detail.json", 400, False, "keyterms may hold at most 100 entries"),
        ("error_legacy.json", 401, False, "Invalid API key (invalid_api_key)"),
        ("error_quota.json", 401, False, "quota_exceeded"),
        ("error_voice_not_found.json", 404, False, "voice_not_found"),
        ("error_429_rate.json", 429, True, "rate_limit_exceeded"),
        ("error_429_concurrent.json", 429, True, "too_many_concurrent_requests"),
    ],
)
def test_error_shapes(client, mocked, name, status, retryable, expected):
    mocked.get(f"{PVC}/speakers", status=status, json=recorded(name))
    err = raised(lambda: client.separation_status("VxQ1abc", "smp_77"))
    assert (err.status, err.retryable, err.error_type) == (status, retryable, f"http_{status}")
    assert expected in err.message


def test_detail_object_names_code_and_param(client, mocked):
    mocked.post(STT, status=400, json=recorded("error_detail.json"))
    err = raised(lambda: client.transcribe(b"RIFF", webhook=True))
    assert err.message.endswith(
        "HTTP 400: keyterms may hold at most 100 entries (invalid_parameters, param keyterms)"
    )


@pytest.mark.parametrize(
    ("headers", "wait"), [({"retry-after": "3"}, 3.0), ({"retry-after-ms": "2500"}, 2.5)]
)
def test_429_honours_retry_headers(client, mocked, headers, wait):
    mocked.get(f"{PVC}/speakers", status=429, json=recorded("error_429_rate.json"), headers=headers)
    err = raised(lambda: client.separation_status("VxQ1abc", "smp_77"))
    assert (err.retryable, err.retry_after) == (True, wait)


def test_x_ratelimit_reset_is_seconds_from_now():
    session_client = ElevenLabsClient(API_KEY)
    session_client.http.clock = lambda: NOW
    with responses.RequestsMock() as rsps:
        rsps.get(
            f"{PVC}/speakers",
            status=429,
            json=recorded("error_429_rate.json"),
            headers={"x-ratelimit-reset": str(NOW + 17)},
        )
        err = raised(lambda: session_client.separation_status("VxQ1abc", "smp_77"))
    assert err.retry_after == 17.0


def test_408_is_retryable(client, mocked):
    mocked.get(f"{PVC}/speakers", status=408, body="")
    assert raised(lambda: client.separation_status("VxQ1abc", "smp_77")).retryable


def test_timeout_is_retryable(client, mocked):
    mocked.get(f"{PVC}/speakers", body=requests.exceptions.ReadTimeout())
    err = raised(lambda: client.separation_status("VxQ1abc", "smp_77"))
    assert (err.error_type, err.retryable) == ("timeout", True)


def test_malformed_json(client, mocked):
    mocked.get(f"{PVC}/speakers", body="upstream connect error", content_type="text/plain")
    assert raised(lambda: client.separation_status("VxQ1abc", "smp_77")).error_type == (
        "malformed_body"
    )


def test_api_key_never_appears_in_errors(client, mocked):
    body = {"detail": {"status": "invalid_api_key", "message": f"Invalid API key {API_KEY}"}}
    mocked.get(f"{PVC}/speakers", status=401, json=body)
    err = raised(lambda: client.separation_status("VxQ1abc", "smp_77"))
    assert API_KEY not in str(err) and API_KEY not in err.message


# -- STT (2.2) -------------------------------------------------------------------------------


def form_fields(request) -> bytes:
    return request.body if isinstance(request.body, bytes) else request.body.encode()


def test_transcribe_file_sends_multipart_and_parses(client, mocked):
    mocked.post(STT, json=recorded("stt.json"))
    transcript = client.transcribe(b"RIFFfake", filename="call.wav", num_speakers=2, language="en")
    body = form_fields(mocked.calls[0].request)
    assert b"multipart/form-data" in mocked.calls[0].request.headers["Content-Type"].encode()
    for name, value in [
        (b"model_id", b"scribe_v1"),
        (b"diarize", b"true"),
        (b"num_speakers", b"2"),
        (b"language_code", b"en"),
    ]:
        assert b'name="' + name + b'"\r\n\r\n' + value in body
    assert b'filename="call.wav"' in body and b"RIFFfake" in body
    assert b'name="webhook"' not in body
    assert mocked.calls[0].request.req_kwargs["timeout"] == (5, 600)
    assert transcript.source == "elevenlabs" and transcript.language == "eng"
    assert transcript.utterances == [
        Utterance("speaker_0", 0.12, 0.30, "Hi"),
        Utterance("speaker_1", 1.10, 1.62, "Morning!"),
    ]
    assert transcript.speakers == [Speaker("speaker_0"), Speaker("speaker_1")]


def test_transcribe_source_url_is_still_multipart(client, mocked):
    mocked.post(STT, json=recorded("stt.json"))
    client.transcribe(source_url="https://media.example/a.mp3", diarize=False)
    request = mocked.calls[0].request
    assert request.headers["Content-Type"].startswith("multipart/form-data")
    body = form_fields(request)
    assert b'name="source_url"\r\n\r\nhttps://media.example/a.mp3' in body
    assert b'name="diarize"\r\n\r\nfalse' in body and b'name="file"' not in body


def test_transcribe_with_webhook_returns_async_accepted(client, mocked):
    mocked.post(STT, json=recorded("stt_async.json"))
    accepted = client.transcribe(b"x", webhook=True, webhook_metadata={"job_id": "j-1"})
    assert accepted == AsyncAccepted(request_id="req_1a2b", transcription_id="tr_9f2c")
    body = form_fields(mocked.calls[0].request)
    assert b'name="webhook"\r\n\r\ntrue' in body
    assert b'name="webhook_metadata"\r\n\r\n{"job_id":"j-1"}' in body


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"file": b"x", "source_url": "https://m.example/a"},
        {"file": b"x", "num_speakers": 33},
        {"file": b"x", "num_speakers": 0},
        {"file": b"x", "webhook": True, "webhook_metadata": {"k": "v" * 17000}},
    ],
)
def test_transcribe_refuses_bad_arguments(client, kwargs):
    with pytest.raises(ValueError):
        client.transcribe(**kwargs)


def test_get_transcript(client, mocked):
    mocked.get(f"{STT}/transcripts/tr_7a1b", json=recorded("stt_turns.json"))
    transcript = client.get_transcript("tr_7a1b")
    assert [(u.speaker_label, u.text) for u in transcript.utterances] == [
        ("speaker_0", "Hi team."),
        ("speaker_1", "Morning! Shall we start?"),
        ("speaker_0", "Yes."),
    ]


def test_get_transcript_with_unreadable_body_is_a_parse_error(client, mocked):
    mocked.get(f"{STT}/transcripts/tr_x", json={"words": "not a list"})
    err = raised(lambda: client.get_transcript("tr_x"))
    assert (err.error_type, err.retryable) == ("parse_error", False)


def test_words_are_grouped_into_turns_and_audio_events_skipped():
    transcript = stt_to_transcript(recorded("stt_turns.json"))
    first, second, third = transcript.utterances
    assert (first.start, first.end) == (0.12, 0.70)
    assert (second.start, second.end, second.text) == (1.10, 2.40, "Morning! Shall we start?")
    assert "(laughter)" not in " ".join(u.text for u in transcript.utterances)
    assert (third.start, third.end) == (2.60, 2.90)
    assert [s.label for s in transcript.speakers] == ["speaker_0", "speaker_1"]
    assert transcript.has_text and not transcript.global_speaker_ids


def test_multichannel_transcripts_map_channel_index():
    transcript = stt_to_transcript(recorded("stt_multichannel.json"))
    assert transcript.speakers == [Speaker("speaker_0", channel=0), Speaker("speaker_0", channel=1)]
    assert [(u.channel, u.text) for u in transcript.utterances] == [
        (0, "Hello?"),
        (1, "Hi, it's Ana."),
    ]
    assert transcript.language == "eng"


def test_webhook_event_body_is_unwrapped():
    transcript = stt_to_transcript(recorded("stt_webhook_event.json"))
    assert [u.text for u in transcript.utterances] == ["Hi", "Morning!"]


def test_words_without_speaker_or_times():
    body = {
        "words": [
            {"text": "Hello", "type": "word"},
            {"text": " ", "type": "spacing"},
            {"text": "there", "type": "word"},
        ]
    }
    (utterance,) = stt_to_transcript(body).utterances
    assert (utterance.speaker_label, utterance.text, utterance.start) == (
        "unknown",
        "Hello there",
        0,
    )


@pytest.mark.parametrize(
    ("body", "location"),
    [
        ({"words": {}}, "words"),
        ({"words": ["x"]}, "words[0]"),
        ({"words": [{"text": "a", "start": -1, "type": "word"}]}, "words[0].start"),
        ({"words": [{"text": "a", "end": "1.0", "type": "word"}]}, "words[0].end"),
        ({"transcripts": [{"channel_index": -1, "words": []}]}, "transcripts[0].channel_index"),
        ({"transcripts": {}}, "transcripts"),
    ],
)
def test_stt_parse_errors_name_the_path(body, location):
    with pytest.raises(ParseError) as info:
        stt_to_transcript(body)
    assert info.value.location == location


# -- webhook signature (2.2) ------------------------------------------------------------------

SECRET = "wsec_4c2f9a7e1b"
RAW = json.dumps(recorded("stt_webhook_event.json")).encode()


def sign(raw: bytes, timestamp: int, secret: str = SECRET) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256).hexdigest()
    return f"t={timestamp},v0={digest}"


def test_good_signature_returns_the_event():
    event = verify_webhook(RAW, sign(RAW, NOW - 60), SECRET, now=NOW)
    assert event["data"]["request_id"] == "req_1a2b"


def test_one_of_several_v0_signatures_may_match():
    header = f"t={NOW},v0={'0' * 64},{sign(RAW, NOW).split(',')[1]}"
    assert verify_webhook(RAW, header, SECRET, now=NOW)["type"] == "speech_to_text_transcription"


@pytest.mark.parametrize(
    ("raw", "header", "secret"),
    [
        (RAW + b" ", sign(RAW, NOW), SECRET),  # tampered body
        (RAW, sign(RAW, NOW, secret="other"), SECRET),  # wrong secret
        (RAW, sign(RAW, NOW - 1801), SECRET),  # stale
        (RAW, f"t={NOW}", SECRET),  # no v0
        (RAW, "v0=abcd", SECRET),  # no t
        (RAW, "t=yesterday,v0=abcd", SECRET),
        (RAW, "", SECRET),
        (RAW, None, SECRET),
        (RAW, sign(RAW, NOW), ""),
        (RAW, f"t={NOW},v0=ünïcode", SECRET),
    ],
)
def test_bad_signatures_are_rejected(raw, header, secret):
    with pytest.raises(ProviderError) as info:
        verify_webhook(raw, header, secret, now=NOW)
    err = info.value
    assert (err.error_type, err.retryable) == ("bad_signature", False)
    if secret:
        assert secret not in str(err)
    if header and "v0=" in header:
        assert header.split("v0=")[1][:16] not in str(err)


def test_signed_non_json_body_is_malformed():
    raw = b"not json"
    with pytest.raises(ProviderError) as info:
        verify_webhook(raw, sign(raw, NOW), SECRET, now=NOW)
    assert info.value.error_type == "malformed_body"


def test_tolerance_is_configurable():
    header = sign(RAW, NOW - 120)
    with pytest.raises(ProviderError, match="old"):
        verify_webhook(RAW, header, SECRET, now=NOW, tolerance=60)
    assert verify_webhook(RAW, header, SECRET, now=NOW, tolerance=300)


# -- Speech Engine (2.3) -----------------------------------------------------------------------


def test_get_speech_engine(client, mocked):
    mocked.get(f"{BASE}/v1/speech-engine/se_123", json=recorded("speech_engine.json"))
    engine = client.get_speech_engine("se_123")
    assert (engine.speech_engine_id, engine.name, engine.language) == (
        "se_123",
        "Support line",
        "en",
    )
    assert engine.call_limits == SpeechEngineCallLimits(5, 1000, False)
    assert engine.tags == ("prod",) and engine.role == "admin"
    # Empty asr and privacy blocks take the schema's defaults.
    assert engine.asr == SpeechEngineAsr("scribe_realtime", None, "pcm_16000", ())
    assert engine.privacy == SpeechEnginePrivacy()
    assert engine.privacy.record_voice and engine.privacy.retention_days == -1


def test_get_speech_engine_reads_asr_privacy_and_limits(client, mocked):
    body = recorded("speech_engine_full.json")
    mocked.get(f"{BASE}/v1/speech-engine/seng_support_eu", json=body)
    engine = client.get_speech_engine("seng_support_eu")
    assert engine.asr == SpeechEngineAsr(
        "elevenlabs", "high", "ulaw_8000", ("Kündigung", "Rechnung", "Acme Premium")
    )
    assert engine.privacy == SpeechEnginePrivacy(
        record_voice=False,
        retention_days=14,
        delete_transcript_and_pii=True,
        delete_audio=True,
        apply_to_existing_conversations=False,
        zero_retention_mode=False,
        conversation_history_redaction=("name", "email_address"),
    )
    assert engine.call_limits == SpeechEngineCallLimits(-1, 5000, True)
    assert (engine.created_at_unix_secs, engine.role) == (1709550000, "editor")
    assert SpeechEngine.from_dict(json.loads(json.dumps(engine.as_dict()))) == engine
    assert "creator_email" not in json.dumps(engine.as_dict())  # not kept


@pytest.mark.parametrize(
    ("status", "name", "error_type", "retryable"),
    [
        (404, "error_speech_engine_not_found.json", "http_404", False),
        (401, "error_legacy.json", "http_401", False),
        (429, "error_429_rate.json", "http_429", True),
    ],
)
def test_get_speech_engine_errors(client, mocked, status, name, error_type, retryable):
    mocked.get(f"{BASE}/v1/speech-engine/seng_missing", status=status, json=recorded(name))
    err = raised(lambda: client.get_speech_engine("seng_missing"))
    assert (err.error_type, err.retryable) == (error_type, retryable)
    assert recorded(name)["detail"]["message"] in str(err)
    assert API_KEY not in str(err)


@pytest.mark.parametrize(
    ("patch", "location"),
    [
        ({"speech_engine_id": None}, "speech_engine_id"),
        ({"privacy": {"retention_days": "14"}}, "privacy.retention_days"),
        ({"privacy": {"record_voice": 1}}, "privacy.record_voice"),
        ({"call_limits": {"daily_limit": True}}, "call_limits.daily_limit"),
        ({"asr": {"keywords": "refund"}}, "asr.keywords"),
        ({"asr": []}, "asr"),
    ],
)
def test_speech_engine_with_wrong_types_is_a_parse_error(patch, location):
    body = {**recorded("speech_engine_full.json"), **patch}
    with pytest.raises(ParseError) as info:
        parse_speech_engine(body)
    assert info.value.location == location


def test_an_unreadable_speech_engine_reply_is_malformed(client, mocked):
    mocked.get(f"{BASE}/v1/speech-engine/se_1", json={"detail": "ok"})
    err = raised(lambda: client.get_speech_engine("se_1"))
    assert err.error_type == "malformed_body" and "speech_engine_id" in str(err)
