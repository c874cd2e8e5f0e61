"""DeepAffects async diarization webhook bodies (vendor-apis.md 4.1)."""

import copy
import json

import pytest

from providers.formats import deepaffects, detect_format, parse
from providers.types import ParseError, Speaker

REQUEST_ID = "8c0a7f52-91d4-4c1e-b1b3-0d6a5c2e9f10"

# The example of vendor-apis.md section 4.1.
WEBHOOK = {
    "request_id": REQUEST_ID,
    "response": {
        "num_speakers": 2,
        "segments": [
            {"speaker_id": "speaker1", "start": 0.0, "end": 4.2},
            {"speaker_id": "speaker2", "start": 4.2, "end": 9.7},
        ],
    },
}


def test_doc_example():
    transcript = deepaffects.parse(json.dumps(WEBHOOK))

    assert transcript.source == "deepaffects"
    assert transcript.speakers == [Speaker(label="speaker1"), Speaker(label="speaker2")]
    assert [(u.speaker_label, u.start, u.end, u.text) for u in transcript.utterances] == [
        ("speaker1", 0.0, 4.2, ""),
        ("speaker2", 4.2, 9.7, ""),
    ]
    assert not transcript.has_text
    assert transcript.global_speaker_ids is False


def test_speaker_ids_of_either_type_and_key_become_strings():
    body = {
        "request_id": "r",
        "response": {
            "segments": [
                {"speakerId": 2, "start": 5, "end": 6},
                {"speaker_id": 1, "start": 0, "end": 2.5},
                {"speaker_id": "1", "start": 3, "end": 4},
            ]
        },
    }

    transcript = deepaffects.parse_data(body)

    assert transcript.speakers == [Speaker(label="2"), Speaker(label="1")]
    assert [(u.speaker_label, u.start) for u in transcript.utterances] == [
        ("1", 0.0),
        ("1", 3.0),
        ("2", 5.0),
    ]


def test_bare_segments_body():
    transcript = deepaffects.parse_data({"segments": WEBHOOK["response"]["segments"]})

    assert len(transcript.utterances) == 2


def test_detected():
    assert detect_format(json.dumps(WEBHOOK)) == "deepaffects"
    assert detect_format(json.dumps(WEBHOOK).encode(), "hook.json") == "deepaffects"
    assert parse(json.dumps(WEBHOOK)).source == "deepaffects"


@pytest.mark.parametrize(
    ("change", "location", "reason"),
    [
        (lambda d: d["response"]["segments"][1].update(start="soon"),
         "response.segments[1].start", "not a number"),
        (lambda d: d["response"]["segments"][0].update(end=-1.0),
         "response.segments[0].end", ">= 0"),
        (lambda d: d["response"]["segments"][1].update(end=1.0),
         "response.segments[1].end", "end before start"),
        (lambda d: d["response"]["segments"][0].pop("speaker_id"),
         "response.segments[0].speaker_id", "missing speaker_id"),
        (lambda d: d["response"]["segments"][0].update(speaker_id=1.5),
         "response.segments[0].speaker_id", "string or an integer"),
        (lambda d: d["response"].pop("segments"), "response.segments", "missing"),
        (lambda d: d.update(response="oops"), "response", "expected an object"),
        (lambda d: d.pop("response"), "response", "missing"),
    ],
)  # fmt: skip
def test_errors_name_the_json_path(change, location, reason):
    data = copy.deepcopy(WEBHOOK)
    change(data)

    with pytest.raises(ParseError) as caught:
        deepaffects.parse(json.dumps(data))

    assert caught.value.location == location
    assert reason in caught.value.reason


def test_symbl_messages_key_still_wins_detection():
    assert detect_format(json.dumps({**WEBHOOK, "messages": []})) == "symbl"
