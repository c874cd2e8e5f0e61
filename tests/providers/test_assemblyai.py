"""AssemblyAI /v2/transcript: the real speaker_labels file (ms → s), words fallback, errors."""

import json
from pathlib import Path

import pytest

from providers.formats import assemblyai, detect_format, parse
from providers.types import ParseError, Speaker
from tests.data import REAL


def real_path() -> Path:
    path = REAL / "vendor" / "assemblyai" / "assemblyai_utterances.json"
    return path


def real_data() -> dict:
    return json.loads(real_path().read_text())


def word(text, start, end, speaker, **extra):
    return {"text": text, "start": start, "end": end, "confidence": 0.9, "speaker": speaker,
            **extra}  # fmt: skip


def test_real_file_readme_counts_and_milliseconds_to_seconds():
    transcript = parse(real_path().read_bytes(), filename="assemblyai_utterances.json")

    assert transcript.source == "assemblyai"
    assert transcript.speakers == [Speaker(label="A", channel=0)]
    assert len(transcript.utterances) == 1
    only = transcript.utterances[0]
    # the file says "start": 170, "end": 25140 (milliseconds)
    assert only.start == 0.17
    assert only.end == 25.14
    assert only.text.startswith("Yeah. As much as it's worth celebrating the first spacewalk")
    assert only.text.endswith("the same opportunities that we have today.")
    assert transcript.language == "en"
    assert transcript.global_speaker_ids is False


def test_real_file_is_detected():
    raw = real_path().read_text()

    assert detect_format(raw) == "assemblyai"
    assert detect_format(raw, "transcript.json") == "assemblyai"


def test_real_file_words_fallback():
    data = real_data()
    data["utterances"] = None  # as sent without speaker_labels

    transcript = assemblyai.parse_data(data)

    assert len(transcript.speakers) == 1
    assert len(transcript.utterances) == 1
    only = transcript.utterances[0]
    assert (only.start, only.end) == (0.17, 25.14)  # first word 170 ms, last word ends 25140 ms
    assert only.text == real_data()["utterances"][0]["text"]
    assert len(only.text.split()) == 60


def test_words_fallback_groups_consecutive_speakers():
    data = {
        "status": "completed",
        "audio_url": "https://example.org/a.mp3",
        "utterances": [],
        "words": [
            word("Hi", 0, 250, "A"),
            word("there.", 260, 600, "A"),
            word("Hello!", 900, 1375, "B"),
            word("Bye.", 2000, 2500, "A"),
            word("um", 2600, 2700, None),
        ],
    }

    transcript = assemblyai.parse_data(data)

    assert [s.label for s in transcript.speakers] == ["A", "B", "unknown"]
    assert [(u.speaker_label, u.start, u.end, u.text) for u in transcript.utterances] == [
        ("A", 0.0, 0.6, "Hi there."),
        ("B", 0.9, 1.375, "Hello!"),
        ("A", 2.0, 2.5, "Bye."),
        ("unknown", 2.6, 2.7, "um"),
    ]


def test_multichannel_channel_strings():
    data = {
        "audio_url": "https://example.org/a.mp3",
        "multichannel": True,
        "utterances": [
            {"speaker": "1", "channel": "1", "start": 0, "end": 1000, "text": "Left."},
            {"speaker": "2", "channel": "2", "start": 500, "end": 1500, "text": "Right."},
        ],
    }

    transcript = assemblyai.parse_data(data)

    assert transcript.speakers == [Speaker(label="1", channel=1), Speaker(label="2", channel=2)]
    assert [u.channel for u in transcript.utterances] == [1, 2]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"status": "error", "error": "Download error, unable to download"}, "Download error"),
        ({"status": "processing", "audio_url": "x"}, "still processing"),
        ({"status": "queued"}, "still queued"),
    ],
)
def test_unfinished_or_failed_transcripts(body, reason):
    with pytest.raises(ParseError) as caught:
        assemblyai.parse(json.dumps(body))

    assert caught.value.location == "status"
    assert reason in caught.value.reason


@pytest.mark.parametrize(
    ("change", "location", "reason"),
    [
        (lambda d: d["utterances"][0].update(end="late"), "utterances[0].end", "not a number"),
        (lambda d: d["utterances"][0].update(end=100), "utterances[0].end", "end before start"),
        (lambda d: d["utterances"][0].update(speaker={"id": 1}), "utterances[0].speaker",
         "string or an integer"),
        (lambda d: d.update(utterances=None) or d["words"][2].update(start=-5),
         "words[2].start", ">= 0"),
        (lambda d: d.update(utterances=None, words="none"), "words", "expected an array"),
    ],
)  # fmt: skip
def test_errors_name_the_json_path(change, location, reason):
    data = real_data()
    change(data)

    with pytest.raises(ParseError) as caught:
        parse(json.dumps(data), filename="aai.json")

    assert caught.value.location == location
    assert reason in caught.value.reason
    assert caught.value.source == "aai.json"


def test_symbl_messages_key_still_wins_detection():
    data = real_data()
    data["messages"] = []

    assert detect_format(json.dumps(data)) == "symbl"
