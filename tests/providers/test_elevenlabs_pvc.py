"""ElevenLabs PVC speaker separation status, GET …/speakers (vendor-apis.md 2.1)."""

import copy
import json

import pytest

from providers.formats import detect_format, elevenlabs_pvc, parse
from providers.types import ParseError, Speaker

# The example of vendor-apis.md section 2.1.
COMPLETED = {
    "voice_id": "VxQ1abc",
    "sample_id": "smp_77",
    "status": "completed",
    "speakers": {
        "spk_a": {"speaker_id": "spk_a", "duration_secs": 41.2,
                  "utterances": [{"start": 0.4, "end": 6.9}, {"start": 12.0, "end": 15.5}]},
        "spk_b": {"speaker_id": "spk_b", "duration_secs": 17.8,
                  "utterances": [{"start": 7.1, "end": 11.8}]},
    },
    "selected_speaker_ids": ["spk_a"],
}  # fmt: skip


def test_doc_example():
    transcript = elevenlabs_pvc.parse(json.dumps(COMPLETED))

    assert transcript.source == "pvc"
    assert transcript.speakers == [Speaker(label="spk_a"), Speaker(label="spk_b")]
    assert [(u.speaker_label, u.start, u.end, u.text) for u in transcript.utterances] == [
        ("spk_a", 0.4, 6.9, ""),
        ("spk_b", 7.1, 11.8, ""),
        ("spk_a", 12.0, 15.5, ""),
    ]
    assert transcript.global_speaker_ids is False


@pytest.mark.parametrize("status", ["pending", "not_started", "some_new_status"])
def test_null_speakers_map_gives_an_empty_transcript(status):
    body = {"voice_id": "v", "sample_id": "s", "status": status, "speakers": None,
            "selected_speaker_ids": None}  # fmt: skip

    transcript = elevenlabs_pvc.parse_data(body)

    assert transcript.speakers == [] and transcript.utterances == []
    assert detect_format(json.dumps(body)) == "pvc"


def test_null_values_and_missing_fields_are_tolerated():
    body = copy.deepcopy(COMPLETED)
    body["speakers"]["spk_c"] = None
    body["speakers"]["spk d"] = {"duration_secs": 0, "utterances": None}  # no speaker_id
    del body["speakers"]["spk_b"]["speaker_id"]

    transcript = elevenlabs_pvc.parse_data(body)

    assert [s.label for s in transcript.speakers] == ["spk_a", "spk_b", "spk d"]
    assert len(transcript.utterances) == 3


def test_failed_separation():
    with pytest.raises(ParseError) as caught:
        parse(json.dumps({**COMPLETED, "status": "failed", "speakers": None}), filename="s.json")

    assert caught.value.location == "status"
    assert "speaker separation of sample smp_77 failed" in caught.value.reason
    assert caught.value.source == "s.json"


def test_detected():
    assert detect_format(json.dumps(COMPLETED)) == "pvc"
    assert parse(json.dumps(COMPLETED).encode()).source == "pvc"


@pytest.mark.parametrize(
    ("change", "location", "reason"),
    [
        (lambda d: d["speakers"]["spk_a"]["utterances"][1].update(end=1.0),
         "speakers.spk_a.utterances[1].end", "end before start"),
        (lambda d: d["speakers"]["spk_b"]["utterances"][0].pop("start"),
         "speakers.spk_b.utterances[0].start", "missing"),
        (lambda d: d["speakers"].update({"spk x": {"utterances": [{"start": "a", "end": 1}]}}),
         'speakers["spk x"].utterances[0].start', "not a number"),
        (lambda d: d["speakers"]["spk_a"].update(utterances={}), "speakers.spk_a.utterances",
         "expected an array"),
        (lambda d: d["speakers"].update(spk_b=[1]), "speakers.spk_b", "expected an object"),
        (lambda d: d.update(speakers=[]), "speakers", "expected an object"),
    ],
)  # fmt: skip
def test_errors_name_the_json_path(change, location, reason):
    data = copy.deepcopy(COMPLETED)
    change(data)

    with pytest.raises(ParseError) as caught:
        elevenlabs_pvc.parse(json.dumps(data))

    assert caught.value.location == location
    assert reason in caught.value.reason


def test_symbl_messages_key_still_wins_detection():
    assert detect_format(json.dumps({**COMPLETED, "messages": []})) == "symbl"
