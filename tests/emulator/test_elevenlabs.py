"""The emulated ElevenLabs: async speech-to-text (404 until ready, signed webhook), PVC
separation states, selected speakers and speaker audio, through the portal's client."""

from __future__ import annotations

import base64

import pytest
import requests

from providers.elevenlabs import ElevenLabsClient, verify_webhook
from providers.types import ProviderError
from tests.emulator import Advance, Fault
from tests.emulator.elevenlabs import turns_of_words

VOICE, SAMPLE = "VxQ1abc", "smp_77"


@pytest.fixture
def client(emulator):
    return ElevenLabsClient(
        "xi-key", base_url=emulator.base_url("elevenlabs"), session=emulator.session("ElevenLabs")
    )


def test_async_transcript_is_404_until_ready_then_the_diarized_words(emulator, client):
    accepted = client.transcribe(
        source_url="https://media.example.org/eva.mp3",
        num_speakers=3,
        webhook=True,
        webhook_metadata={"portal_job_id": 7},
    )
    with pytest.raises(ProviderError) as info:
        client.get_transcript(accepted.transcription_id)
    assert info.value.status == 404
    transcript = client.get_transcript(accepted.transcription_id)
    turns = turns_of_words(emulator.datasets.stt_words)
    assert [(u.speaker_label, u.start, u.end) for u in transcript.utterances] == turns
    assert len(transcript.speakers) == 3
    [post] = emulator.requests("elevenlabs", "POST /v1/speech-to-text")
    fields = {name: part.text for name, part in post.form().items()}
    assert fields == {
        "model_id": "scribe_v1",
        "diarize": "true",
        "num_speakers": "3",
        "source_url": "https://media.example.org/eva.mp3",
        "webhook": "true",
        "webhook_metadata": '{"portal_job_id":7}',
    }


def test_a_completed_transcription_is_sent_to_the_webhook_signed(emulator, client, receiver):
    emulator.elevenlabs.advance = Advance.every(0.05)
    emulator.elevenlabs.webhook = (receiver.url(), "whsec_test")
    accepted = client.transcribe(b"RIFF....", webhook=True, webhook_metadata={"portal_job_id": 7})
    receiver.wait(1)
    _, headers, raw = receiver.calls[0]
    event = verify_webhook(raw, headers["ElevenLabs-Signature"], "whsec_test")
    assert event["data"]["request_id"] == accepted.request_id
    assert event["data"]["webhook_metadata"] == {"portal_job_id": 7}
    assert event["data"]["transcription"]["transcription_id"] == accepted.transcription_id


def test_transcribe_refuses_bad_requests_like_the_vendor(emulator, client):
    url = f"{emulator.base_url('elevenlabs')}/v1/speech-to-text"
    no_source = requests.post(
        url, files={"model_id": (None, "scribe_v1")}, headers={"xi-api-key": "k"}
    )
    assert no_source.status_code == 422 and no_source.json()["detail"][0]["loc"] == ["body", "file"]
    with pytest.raises(ProviderError) as info:
        client.transcribe(b"x", model_id="scribe_v9")
    assert info.value.status == 422 and "model_id" in info.value.message
    anonymous = requests.post(url, files={"model_id": (None, "scribe_v1")})
    assert anonymous.status_code == 401
    assert anonymous.json()["detail"]["status"] == "invalid_api_key"


def test_pvc_separation_states_selection_and_audio(emulator, client):
    assert client.separation_status(VOICE, SAMPLE).status == "not_started"
    client.start_separation(VOICE, SAMPLE)
    client.start_separation(VOICE, SAMPLE)  # a repeated start does not restart the work
    assert emulator.elevenlabs.sample(VOICE, SAMPLE).starts == 2
    assert client.separation_status(VOICE, SAMPLE).status == "pending"
    done = client.separation_status(VOICE, SAMPLE)
    assert done.status == "completed"
    assert [s.speaker_id for s in done.speakers] == ["spk01", "spk00"]
    assert sum(len(s.utterances) for s in done.speakers) == len(emulator.datasets.pvc.turns)

    client.select_speakers(VOICE, SAMPLE, ["spk00", "spk01"])
    client.select_speakers(VOICE, SAMPLE, ["spk01"])
    sample = emulator.elevenlabs.sample(VOICE, SAMPLE)
    assert sample.selections == [["spk00", "spk01"], ["spk01"]]
    assert client.separation_status(VOICE, SAMPLE).selected_speaker_ids == ["spk01"]
    with pytest.raises(ProviderError) as info:
        client.select_speakers(VOICE, SAMPLE, ["spk01", "spk99"])
    assert info.value.status == 422 and "selected_speaker_ids.1" in info.value.message

    audio, media_type, seconds = client.speaker_audio(VOICE, SAMPLE, "spk00")
    assert audio.startswith(b"RIFF") and media_type == "audio/wav" and seconds > 0
    assert base64.b64encode(audio)
    with pytest.raises(ProviderError) as info:
        client.separation_status(VOICE, "smp_unknown")
    assert info.value.status == 404


def test_failed_separation_and_speech_engine(emulator, client):
    emulator.inject(
        "elevenlabs", "POST /v1/voices/pvc/*/separate-speakers", Fault.outcome("failed")
    )
    client.start_separation(VOICE, SAMPLE)
    states = [client.separation_status(VOICE, SAMPLE).job_status.state for _ in range(2)]
    assert states == ["processing", "failed"]
    assert client.get_speech_engine("se_123").call_limits.agent_concurrency_limit == 5
    with pytest.raises(ProviderError) as info:
        client.get_speech_engine("se_404")
    assert info.value.status == 404


def test_speech_engines_registered_with_their_privacy_and_faults(emulator, client):
    emulator.elevenlabs.add_speech_engine(
        "seng_eu", name="EU line", privacy={"record_voice": False, "retention_days": 7}
    )
    engine = client.get_speech_engine("seng_eu")
    assert (engine.name, engine.privacy.record_voice, engine.privacy.retention_days) == (
        "EU line",
        False,
        7,
    )
    assert engine.asr.keywords == ("refund", "invoice")  # the default engine's
    emulator.inject("elevenlabs", "GET /v1/speech-engine/*", Fault.http(503, retry_after=1))
    with pytest.raises(ProviderError) as info:
        client.get_speech_engine("seng_eu")
    assert (info.value.status, info.value.retryable, info.value.retry_after) == (503, True, 1)
    assert client.get_speech_engine("seng_eu").name == "EU line"
    assert len(emulator.requests("elevenlabs", "GET /v1/speech-engine/seng_eu")) == 3
