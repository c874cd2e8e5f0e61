"""Amazon Transcribe output: the real Call Analytics file and an inline classic job."""

import copy
import json
from pathlib import Path

import pytest

from providers.formats import aws_transcribe, detect_format, parse
from providers.types import ParseError, Speaker
from tests.data import REAL


def pron(content, start, end):
    return {"type": "pronunciation", "start_time": start, "end_time": end,
            "alternatives": [{"confidence": "0.99", "content": content}]}  # fmt: skip


def punct(content):
    return {"type": "punctuation", "alternatives": [{"confidence": "0.0", "content": content}]}


def segment(label, start, end):
    return {"speaker_label": label, "start_time": start, "end_time": end,
            "items": [{"speaker_label": label, "start_time": start, "end_time": end}]}  # fmt: skip


# Classic StartTranscriptionJob output with ShowSpeakerLabels=true (times are strings).
CLASSIC = {
    "jobName": "demo-call",
    "accountId": "123456789012",
    "status": "COMPLETED",
    "results": {
        "language_code": "en-US",
        "transcripts": [{"transcript": "Hello, this is Ana. Hi Ana, it's Ben. Great."}],
        "speaker_labels": {
            "speakers": 2,
            "segments": [
                segment("spk_0", "0.44", "2.1"),
                segment("spk_1", "2.5", "4.03"),
                segment("spk_0", "4.6", "5.2"),
            ],
        },
        "items": [
            pron("Hello", "0.44", "0.8"),
            punct(","),
            pron("this", "0.9", "1.1"),
            pron("is", "1.1", "1.3"),
            pron("Ana", "1.3", "2.1"),
            punct("."),
            pron("Hi", "2.5", "2.7"),
            pron("Ana", "2.7", "3.0"),
            punct(","),
            pron("it's", "3.2", "3.5"),
            pron("Ben", "3.5", "4.03"),
            punct("."),
            pron("Great", "4.6", "5.2"),
            punct("."),
        ],
    },
}


def real_path() -> Path:
    path = REAL / "vendor" / "aws-transcribe-call-analytics" / "example-call.json"
    return path


def real_data() -> dict:
    return json.loads(real_path().read_text())


def test_real_call_analytics_readme_counts():
    transcript = parse(real_path().read_bytes(), filename="example-call.json")

    assert transcript.source == "aws"
    assert transcript.speakers == [Speaker(label="AGENT"), Speaker(label="CUSTOMER")]
    assert len(transcript.utterances) == 37
    roles = [u.speaker_label for u in transcript.utterances]
    assert (roles.count("AGENT"), roles.count("CUSTOMER")) == (19, 18)
    first, second = transcript.utterances[:2]
    # BeginOffsetMillis 40 / EndOffsetMillis 5050
    assert (first.speaker_label, first.start, first.end) == ("AGENT", 0.04, 5.05)
    assert first.text.startswith("Thank you for calling Anchor Credit Union")
    assert first.external_id == "28e2b43d-8f32-42d7-a89e-ec53a6e22f12"
    assert (second.speaker_label, second.start, second.end) == ("CUSTOMER", 6.31, 10.45)
    assert transcript.utterances[-1].end == 182.89
    assert transcript.title == "example-call.wav"
    assert transcript.language == "en-US"
    assert [u.start for u in transcript.utterances] == sorted(
        u.start for u in transcript.utterances
    )


def test_real_call_analytics_is_detected():
    assert detect_format(real_path().read_text()) == "aws"
    assert detect_format(real_path().read_bytes(), "call.json") == "aws"


def test_classic_segments_get_their_words_and_punctuation():
    transcript = aws_transcribe.parse(json.dumps(CLASSIC))

    assert transcript.source == "aws"
    assert transcript.speakers == [Speaker(label="spk_0"), Speaker(label="spk_1")]
    assert [(u.speaker_label, u.start, u.end, u.text) for u in transcript.utterances] == [
        ("spk_0", 0.44, 2.1, "Hello, this is Ana."),
        ("spk_1", 2.5, 4.03, "Hi Ana, it's Ben."),
        ("spk_0", 4.6, 5.2, "Great."),
    ]
    assert transcript.title == "demo-call"
    assert transcript.language == "en-US"
    assert detect_format(json.dumps(CLASSIC)) == "aws"


def test_classic_words_outside_segments_go_to_the_nearest_earlier_segment():
    data = copy.deepcopy(CLASSIC)
    items = data["results"]["items"]
    items.insert(0, pron("So", "0.1", "0.3"))  # before the first segment
    items.insert(8, pron("um", "2.2", "2.4"))  # in the gap after spk_0's first segment

    texts = [u.text for u in aws_transcribe.parse_data(data).utterances]

    assert texts == ["So Hello, this is Ana. um", "Hi Ana, it's Ben.", "Great."]


def test_classic_numeric_times_and_segment_without_words():
    data = copy.deepcopy(CLASSIC)
    data["results"]["speaker_labels"]["segments"].append(segment("spk_2", 9, 9.5))

    last = aws_transcribe.parse_data(data).utterances[-1]

    assert (last.speaker_label, last.start, last.end, last.text) == ("spk_2", 9.0, 9.5, "")


def test_classic_without_speaker_labels_says_so():
    data = copy.deepcopy(CLASSIC)
    del data["results"]["speaker_labels"]

    assert detect_format(json.dumps(data)) == "aws"
    with pytest.raises(ParseError) as caught:
        parse(json.dumps(data))

    assert caught.value.location == "results.speaker_labels"
    assert "ShowSpeakerLabels" in caught.value.reason


@pytest.mark.parametrize(
    ("change", "location", "reason"),
    [
        (lambda d: d["Transcript"][4].update(BeginOffsetMillis="soon"),
         "Transcript[4].BeginOffsetMillis", "not a number"),
        (lambda d: d["Transcript"][0].update(EndOffsetMillis=10),
         "Transcript[0].EndOffsetMillis", "end before start"),
        (lambda d: d["Transcript"][2].pop("ParticipantRole"),
         "Transcript[2].ParticipantRole", "missing"),
        (lambda d: d["Transcript"][3].update(Content=["x"]), "Transcript[3].Content",
         "expected a string"),
        (lambda d: d.update(Transcript={}), "Transcript", "expected an array"),
    ],
)  # fmt: skip
def test_call_analytics_errors_name_the_json_path(change, location, reason):
    data = real_data()
    change(data)

    with pytest.raises(ParseError) as caught:
        aws_transcribe.parse_data(data)

    assert caught.value.location == location
    assert reason in caught.value.reason


@pytest.mark.parametrize(
    ("change", "location", "reason"),
    [
        (lambda r: r["speaker_labels"]["segments"][1].update(end_time="2.0"),
         "results.speaker_labels.segments[1].end_time", "end before start"),
        (lambda r: r["speaker_labels"]["segments"][0].pop("speaker_label"),
         "results.speaker_labels.segments[0].speaker_label", "missing"),
        (lambda r: r["items"][2].update(start_time="n/a"), "results.items[2].start_time",
         "not a number"),
        (lambda r: r["items"][3].update(alternatives=[]), "results.items[3].alternatives",
         "empty"),
        (lambda r: r["items"][1]["alternatives"][0].pop("content"),
         "results.items[1].alternatives[0].content", "missing"),
    ],
)  # fmt: skip
def test_classic_errors_name_the_json_path(change, location, reason):
    data = copy.deepcopy(CLASSIC)
    change(data["results"])

    with pytest.raises(ParseError) as caught:
        parse(json.dumps(data), filename="job.json")

    assert caught.value.location == location
    assert reason in caught.value.reason
    assert str(caught.value).startswith(f"job.json: {location}: ")


def test_neither_shape():
    with pytest.raises(ParseError) as caught:
        aws_transcribe.parse('{"jobName": "x"}')

    assert caught.value.location == "results"
    assert "keys: jobName" in caught.value.reason


def test_symbl_messages_key_still_wins_detection():
    data = copy.deepcopy(CLASSIC)
    data["messages"] = []

    assert detect_format(json.dumps(data)) == "symbl"
