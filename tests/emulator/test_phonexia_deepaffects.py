"""The emulated Phonexia (task states, multi-channel results, rejected input, validation) and
DeepAffects (result by webhook after a delay), through the portal's clients."""

from __future__ import annotations

import pytest
import requests

from providers.deepaffects import DeepAffectsClient, webhook_to_transcript
from providers.phonexia import PhonexiaClient
from providers.types import ProviderError
from tests.emulator import Fault


@pytest.fixture
def phonexia(emulator):
    return PhonexiaClient(
        emulator.base_url("phonexia"), api_key="phx-key", session=emulator.session("Phonexia")
    )


def test_phonexia_task_goes_pending_running_done_with_two_channels(emulator, phonexia):
    emulator.phonexia.api_key = "phx-key"
    task_id = phonexia.start_diarization(b"RIFF-audio", "call.wav", total_speakers=4)
    states = [phonexia.task(task_id).state for _ in range(3)]
    assert states == ["pending", "running", "done"]
    transcript = phonexia.task(task_id).transcript
    assert {(s.channel, s.label) for s in transcript.speakers} == {
        (0, "0"),
        (0, "1"),
        (1, "0"),
        (1, "1"),
    }
    channels = emulator.datasets.phonexia
    assert len(transcript.utterances) == sum(len(r.turns) for r in channels.values()) == 76
    task = emulator.phonexia.tasks[task_id]
    assert task.config == {"total_speakers": 4} and task.filename == "call.wav"
    assert task.query == {"channel_mode": "split"}

    mixed = phonexia.start_diarization(b"RIFF-audio", "call.wav", channel_mode="mix")
    assert len(emulator.phonexia.tasks[mixed].channels) == 1
    assert emulator.phonexia.tasks[mixed].channels[0]["speakers_count"] == 4


def test_phonexia_rejects_bad_input_and_unauthorised_calls(emulator, phonexia):
    emulator.inject(
        "phonexia", "POST /api/technology/speaker-diarization", Fault.outcome("rejected")
    )
    task_id = phonexia.start_diarization(b"not audio", "x.bin")
    final = [phonexia.task(task_id) for _ in range(3)][-1]
    assert final.state == "rejected"
    assert final.job_status.error.startswith("task.validation-error: Input validation failed.")
    with pytest.raises(ProviderError) as info:
        phonexia.task("no-such-task")
    assert info.value.status == 404
    emulator.phonexia.api_key = "another-key"
    with pytest.raises(ProviderError) as info:
        phonexia.start_diarization(b"x", "x.wav")
    assert info.value.status == 403


def test_phonexia_validates_the_config_part(emulator):
    # The client never sends both speaker keys; a raw request shows the server's rule.
    answer = requests.post(
        f"{emulator.base_url('phonexia')}/api/technology/speaker-diarization",
        files={
            "file": ("a.wav", b"RIFF"),
            "config": (None, '{"max_speakers":2,"total_speakers":2}'),
        },
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["detail"][0]["location"] == ["body", "config"]


def test_deepaffects_posts_the_result_to_the_webhook_after_the_delay(emulator, receiver):
    emulator.deepaffects.delay = 0.1
    client = DeepAffectsClient(
        "da-key", base_url=emulator.base_url("deepaffects"), session=emulator.session("DeepAffects")
    )
    request_id = client.diarize_async(
        request_id="8c0a7f52-91d4-4c1e-b1b3-0d6a5c2e9f10",
        webhook_url=receiver.url("/webhooks/deepaffects/tok/"),
        content=b"RIFF-audio",
        encoding="Wave",
        sample_rate=16000,
    )
    assert request_id == "8c0a7f52-91d4-4c1e-b1b3-0d6a5c2e9f10"
    [body] = receiver.wait(1)
    echoed, transcript = webhook_to_transcript(body)
    assert echoed == request_id and body["response"]["num_speakers"] == 3
    assert len(transcript.utterances) == len(emulator.datasets.deepaffects.turns) == 52
    assert receiver.calls[0][0] == "/webhooks/deepaffects/tok/"


def _diarize(client: DeepAffectsClient, request_id: str, webhook: str) -> str:
    return client.diarize_async(
        request_id=request_id,
        webhook_url=webhook,
        url="https://media.example.org/a.wav",
        encoding="Wave",
        sample_rate=8000,
    )


def test_deepaffects_needs_the_key_and_a_silent_outcome_never_calls_back(emulator, receiver):
    emulator.deepaffects.api_key = "da-key"
    emulator.deepaffects.delay = 0.05
    wrong = DeepAffectsClient(
        "wrong", base_url=emulator.base_url("deepaffects"), session=emulator.session("DeepAffects")
    )
    with pytest.raises(ProviderError) as info:
        _diarize(wrong, "r1", receiver.url())
    assert info.value.status == 401
    emulator.inject("deepaffects", "POST /audio/*", Fault.outcome("silent"))
    client = DeepAffectsClient(
        "da-key", base_url=emulator.base_url("deepaffects"), session=emulator.session("DeepAffects")
    )
    _diarize(client, "r2", receiver.url())
    _diarize(client, "r3", receiver.url())
    [body] = receiver.wait(1)
    assert body["request_id"] == "r3" and emulator.deepaffects.requests["r2"].payload is None
