"""Phonexia Speech Platform 4 diarization results (vendor-apis.md 3.2)."""

import copy
import json

import pytest

from providers.formats import detect_format, parse, phonexia
from providers.types import ParseError, Speaker

TASK_ID = "0b8f6a52-3c1e-4d7a-9a50-2f7e1c9d4b11"

# The example of vendor-apis.md section 3.2.
DONE = {
    "task": {"task_id": TASK_ID, "state": "done"},
    "result": {
        "channels": [
            {
                "channel_number": 0,
                "speakers_count": 2,
                "segments": [
                    {"speaker_id": 0, "start_time": 1.25, "end_time": 6.8},
                    {"speaker_id": 1, "start_time": 7.02, "end_time": 12.4},
                ],
            }
        ]
    },
}

STEREO = {
    "task": {"task_id": TASK_ID, "state": "done"},
    "result": {
        "channels": [
            {"channel_number": 0, "speakers_count": 2, "segments": [
                {"speaker_id": 1, "start_time": 3.0, "end_time": 4.0},
                {"speaker_id": 0, "start_time": 0.5, "end_time": 2.0}]},
            {"channel_number": 1, "speakers_count": 1, "segments": [
                {"speaker_id": 0, "start_time": 2.1, "end_time": 2.9}]},
            {"channel_number": 2, "speakers_count": 0, "segments": []},
        ]
    },
}  # fmt: skip

REJECTED = {
    "task": {"task_id": TASK_ID, "state": "rejected"},
    "error": {
        "type": "task.validation-error",
        "message": "Invalid input file",
        "detail": [
            {"location": [0, "file"], "message": "Unsupported audio format", "type": "format",
             "context": {}}
        ],
    },
}  # fmt: skip


def test_doc_example_is_diarization_only():
    transcript = phonexia.parse(json.dumps(DONE))

    assert transcript.source == "phonexia"
    assert transcript.speakers == [Speaker(label="0", channel=0), Speaker(label="1", channel=0)]
    assert [(u.speaker_label, u.start, u.end, u.text) for u in transcript.utterances] == [
        ("0", 1.25, 6.8, ""),
        ("1", 7.02, 12.4, ""),
    ]
    assert not transcript.has_text
    assert transcript.global_speaker_ids is False


def test_speaker_ids_are_only_unique_within_a_channel():
    transcript = phonexia.parse_data(STEREO)

    assert transcript.speakers == [
        Speaker(label="1", channel=0),
        Speaker(label="0", channel=0),
        Speaker(label="0", channel=1),
    ]
    assert [(u.channel, u.speaker_label, u.start) for u in transcript.utterances] == [
        (0, "0", 0.5),
        (1, "0", 2.1),
        (0, "1", 3.0),
    ]


def test_empty_segments():
    data = copy.deepcopy(DONE)
    data["result"]["channels"][0]["segments"] = []

    transcript = phonexia.parse_data(data)

    assert transcript.speakers == [] and transcript.utterances == []


@pytest.mark.parametrize("data", [DONE, STEREO, REJECTED])
def test_detected(data):
    assert detect_format(json.dumps(data)) == "phonexia"


def test_rejected_task_reports_the_vendor_error():
    with pytest.raises(ParseError) as caught:
        parse(json.dumps(REJECTED), filename="task.json")

    err = caught.value
    assert err.location == "error"
    assert err.source == "task.json"
    assert f"task {TASK_ID} rejected: task.validation-error: Invalid input file" in err.reason
    assert "Unsupported audio format at [0, 'file']" in err.reason
    assert "do not resubmit" in err.reason


def test_failed_task_reports_the_vendor_error():
    body = {"task": {"task_id": "t1", "state": "failed"},
            "error": {"type": "internal", "message": "Worker crashed"}}  # fmt: skip

    with pytest.raises(ParseError) as caught:
        phonexia.parse_data(body)

    assert caught.value.location == "error"
    assert "t1 failed: internal: Worker crashed" in caught.value.reason
    assert "may succeed later" in caught.value.reason


@pytest.mark.parametrize("state", ["pending", "running"])
def test_unfinished_task(state):
    with pytest.raises(ParseError) as caught:
        phonexia.parse_data({"task": {"task_id": "t1", "state": state}})

    assert caught.value.location == "task.state"
    assert f"still {state}" in caught.value.reason


@pytest.mark.parametrize(
    ("change", "location", "reason"),
    [
        (lambda d: d["result"]["channels"][0]["segments"][1].update(end_time=7.0),
         "result.channels[0].segments[1].end_time", "end before start"),
        (lambda d: d["result"]["channels"][0]["segments"][0].update(start_time="x"),
         "result.channels[0].segments[0].start_time", "not a number"),
        (lambda d: d["result"]["channels"][0]["segments"][0].pop("speaker_id"),
         "result.channels[0].segments[0].speaker_id", "missing"),
        (lambda d: d["result"]["channels"][0].pop("channel_number"),
         "result.channels[0].channel_number", "missing"),
        (lambda d: d["result"]["channels"][0].update(channel_number=-1),
         "result.channels[0].channel_number", "integer >= 0"),
        (lambda d: d["result"].update(channels=None), "result.channels", "missing"),
        (lambda d: d.pop("result"), "result", "missing"),
    ],
)  # fmt: skip
def test_errors_name_the_json_path(change, location, reason):
    data = copy.deepcopy(DONE)
    change(data)

    with pytest.raises(ParseError) as caught:
        phonexia.parse(json.dumps(data))

    assert caught.value.location == location
    assert reason in caught.value.reason


def test_symbl_messages_key_still_wins_detection():
    assert detect_format(json.dumps({**DONE, "messages": []})) == "symbl"
