"""Every parser of ``providers/formats`` fed random and hostile input: it returns a transcript
or raises :class:`ParseError`, never anything else (which the portal would answer with a 500).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from providers.formats import DATA_PARSERS, PARSERS, parse
from providers.types import ParseError, Transcript

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = sorted((ROOT / "diarization_portal" / "conversations" / "samples").glob("*.*"))
RECORDED = ROOT / "tests" / "providers" / "recorded"
VENDOR_SAMPLES = [
    RECORDED / "deepaffects" / "webhook.json",
    RECORDED / "elevenlabs" / "stt.json",
    RECORDED / "elevenlabs" / "stt_multichannel.json",
    RECORDED / "elevenlabs" / "pvc_speakers.json",
    RECORDED / "phonexia" / "task_done.json",
]
SEEDS = [p for p in SAMPLES if p.suffix != ".md"] + VENDOR_SAMPLES
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(["", "\x00", "\ud800", "x" * 300, "1e999", "-1", "NaN", "Speaker 1"])
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(
            st.sampled_from(
                [
                    "messages",
                    "members",
                    "from",
                    "id",
                    "text",
                    "startTime",
                    "endTime",
                    "start",
                    "end",
                    "speaker",
                    "results",
                    "channels",
                    "alternatives",
                    "words",
                    "utterances",
                    "request_id",
                    "response",
                    "segments",
                    "task",
                    "state",
                    "task_id",
                    "result",
                    "speakers",
                    "sample_id",
                    "voice_id",
                    "transcription_id",
                    "language_probability",
                    "type",
                    "data",
                    "audio_url",
                    "speaker_labels",
                    "items",
                    "transcripts",
                    "email",
                    "name",
                    "insights",
                    "timeOffset",
                    "duration",
                    "score",
                    "speaker_id",
                ]
            )
            | st.text(max_size=8),
            inner,
            max_size=6,
        )
    ),
    max_leaves=40,
)


def _only_parse_errors(call) -> None:
    try:
        result = call()
    except ParseError:
        return
    if isinstance(result, tuple):  # (request id, transcript) of a DeepAffects webhook
        result = result[1]
    assert isinstance(result, Transcript)


@pytest.mark.parametrize("name", sorted(PARSERS))
@FAST
@given(data=st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_random_bytes_are_a_transcript_or_a_parse_error(name, data):
    _only_parse_errors(lambda: PARSERS[name](data))
    _only_parse_errors(lambda: parse(data, format=name, filename="upload.bin"))


@FAST
@given(data=st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_detection_of_random_bytes_is_a_transcript_or_a_parse_error(data):
    _only_parse_errors(lambda: parse(data))


@pytest.mark.parametrize("name", sorted(DATA_PARSERS))
@FAST
@given(value=json_values)
def test_random_json_is_a_transcript_or_a_parse_error(name, value):
    _only_parse_errors(lambda: DATA_PARSERS[name](value))
    _only_parse_errors(lambda: PARSERS[name](json.dumps(value)))
    _only_parse_errors(lambda: parse(json.dumps(value)))


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_real_files_are_a_transcript_or_a_parse_error(seed, data):
    """Real files with a random span replaced by hostile bytes: the parsers reach deep into
    their code with almost-valid input."""
    body = seed.read_bytes()
    start = data.draw(st.integers(min_value=0, max_value=len(body)))
    end = data.draw(st.integers(min_value=start, max_value=min(len(body), start + 40)))
    junk = data.draw(
        st.binary(max_size=20)
        | st.sampled_from(
            [
                b"",
                b"\x00",
                b"\\u0000",
                b"\\ud800",
                b"NaN",
                b"-Infinity",
                b"1e999",
                b"-5",
                b"null",
                b"[]",
                b"{}",
                b'"',
                b"\n",
                b"-->",
                b"<v ",
                b"SPEAKER",
                b"9" * 30,
            ]
        )
    )
    mutated = body[:start] + junk + body[end:]
    _only_parse_errors(lambda: parse(mutated, filename=seed.name))


DEEP = ["[" * 100_000 + "]" * 100_000, '{"messages":' * 50_000 + "1" + "}" * 50_000]


@pytest.mark.parametrize("name", sorted(DATA_PARSERS))
@pytest.mark.parametrize("text", DEEP, ids=["array", "object"])
def test_json_nested_100k_deep_is_a_parse_error(name, text):
    with pytest.raises(ParseError, match="nested too deeply"):
        PARSERS[name](text)
    with pytest.raises(ParseError, match="nested too deeply"):
        parse(text.encode(), filename="deep.json")


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_nan_and_infinity_are_parse_errors(constant):
    body = (ROOT / "diarization_portal/conversations/samples/weekly-sync.symbl.json").read_text()
    body = body.replace('"score": 0.9', f'"score": {constant}', 1)
    assert constant in body
    with pytest.raises(ParseError, match="not a JSON number"):
        parse(body)


@FAST
@given(value=json_values)
def test_webhook_bodies_are_a_result_or_a_parse_error(value):
    """What the DeepAffects and ElevenLabs webhook views hand to the providers."""
    from providers.deepaffects import webhook_to_transcript
    from providers.elevenlabs import stt_to_transcript

    for call in (webhook_to_transcript, stt_to_transcript):
        _only_parse_errors(lambda call=call: call(value))
