"""Deepgram pre-recorded responses: the real nova-2 file, words fallback, multichannel, errors."""

import copy
import json
from pathlib import Path

import pytest

from providers.formats import deepgram, detect_format, parse
from providers.types import ParseError, Speaker
from tests.data import REAL


def real_path() -> Path:
    path = REAL / "vendor" / "deepgram" / "dg_speakers.json"
    return path


def real_data() -> dict:
    return json.loads(real_path().read_text())


def word(text, start, end, speaker):
    return {"word": text.lower().strip(".,"), "punctuated_word": text, "start": start,
            "end": end, "speaker": speaker}  # fmt: skip


def response(*channels, utterances=None):
    results = {"channels": [{"alternatives": [{"words": list(words)}]} for words in channels]}
    if utterances is not None:
        results["utterances"] = utterances
    return {"metadata": {"request_id": "r1", "channels": len(channels)}, "results": results}


def test_real_file_readme_counts_from_utterances():
    data = real_data()
    transcript = parse(json.dumps(data), filename="dg_speakers.json")

    assert transcript.source == "deepgram"
    assert len(transcript.speakers) == 3
    assert len(transcript.utterances) == 22
    assert [s.label for s in transcript.speakers] == ["0", "1", "2"]
    assert all(s.channel == 0 and s.name is None for s in transcript.speakers)
    assert transcript.global_speaker_ids is False
    first = transcript.utterances[0]
    assert (first.speaker_label, first.start, first.end, first.text) == ("0", 3.04, 3.54, "And,")
    assert first.external_id == "b1c182d9-bb40-41aa-acd1-f18c30623272"
    starts = [u.start for u in transcript.utterances]
    assert starts == sorted(starts)
    # seconds, inside the 169.8 s recording
    assert transcript.utterances[-1].end == 163.105
    assert max(u.end for u in transcript.utterances) <= data["metadata"]["duration"]


def test_real_file_is_detected():
    raw = real_path().read_bytes()

    assert detect_format(raw) == "deepgram"
    assert detect_format(raw, "dg_speakers.json") == "deepgram"


def test_real_file_words_fallback_gives_three_speakers():
    data = real_data()
    del data["results"]["utterances"]

    transcript = deepgram.parse(json.dumps(data))

    assert len(transcript.speakers) == 3
    assert {s.label for s in transcript.speakers} == {"0", "1", "2"}
    # 226 words in 10 runs of one speaker
    assert len(transcript.utterances) == 10
    first = transcript.utterances[0]
    assert first.start == 3.04 and first.external_id is None
    assert first.text.startswith("And, Jessica, Christina, we are so proud of you.")
    words = data["results"]["channels"][0]["alternatives"][0]["words"]
    joined = " ".join(u.text for u in transcript.utterances)
    assert joined == " ".join(w["punctuated_word"] for w in words)
    assert transcript.utterances[-1].end == words[-1]["end"]


def test_empty_utterances_array_falls_back_to_words():
    data = response([word("Hi.", 0.5, 0.9, 0), word("Hello.", 1.0, 1.4, 1)], utterances=[])

    transcript = deepgram.parse_data(data)

    assert [(u.speaker_label, u.text) for u in transcript.utterances] == [
        ("0", "Hi."),
        ("1", "Hello."),
    ]


def test_multichannel_words_keep_channel_and_per_channel_speakers():
    left = [word("Hello", 0.1, 0.4, 0), word("there.", 0.4, 0.8, 0)]
    right = [word("Hi!", 0.9, 1.2, 0), word("Who's", 2.0, 2.2, 1), word("that?", 2.2, 2.5, 1)]
    data = response(left, right)
    data["results"]["channels"][0]["detected_language"] = "en"

    transcript = deepgram.parse_data(data)

    assert transcript.speakers == [
        Speaker(label="0", channel=0),
        Speaker(label="0", channel=1),
        Speaker(label="1", channel=1),
    ]
    assert [
        (u.channel, u.speaker_label, u.start, u.end, u.text) for u in transcript.utterances
    ] == [
        (0, "0", 0.1, 0.8, "Hello there."),
        (1, "0", 0.9, 1.2, "Hi!"),
        (1, "1", 2.0, 2.5, "Who's that?"),
    ]
    assert transcript.language == "en"


def test_word_without_punctuation_and_speaker():
    data = response([{"word": "hello", "start": 0, "end": 1}])

    utterance = deepgram.parse_data(data).utterances[0]

    assert (utterance.speaker_label, utterance.text) == ("unknown", "hello")


def test_utterance_channel_is_kept():
    data = response([], utterances=[{"start": 1, "end": 2, "speaker": 3, "channel": 1,
                                     "transcript": " Yes. "}])  # fmt: skip

    transcript = deepgram.parse_data(data)

    assert transcript.speakers == [Speaker(label="3", channel=1)]
    assert transcript.utterances[0].text == "Yes."


@pytest.mark.parametrize(
    ("change", "location", "reason"),
    [
        (lambda d: d["results"]["utterances"][3].update(start="abc"),
         "results.utterances[3].start", "not a number"),
        (lambda d: d["results"]["utterances"][1].update(end=0.5),
         "results.utterances[1].end", "end before start"),
        (lambda d: d["results"]["utterances"][2].pop("end"),
         "results.utterances[2].end", "missing"),
        (lambda d: d["results"]["utterances"][0].update(speaker=[0]),
         "results.utterances[0].speaker", "string or an integer"),
        (lambda d: d["results"]["utterances"][0].update(transcript=5),
         "results.utterances[0].transcript", "expected a string"),
        (lambda d: d["results"]["utterances"].__setitem__(4, "x"),
         "results.utterances[4]", "expected an object"),
        (lambda d: d.pop("results"), "results", 'missing "results"'),
        (lambda d: d["results"].update(utterances={}), "results.utterances", "expected an array"),
    ],
)  # fmt: skip
def test_errors_name_the_json_path(change, location, reason):
    data = real_data()
    change(data)

    with pytest.raises(ParseError) as caught:
        deepgram.parse(json.dumps(data))

    assert caught.value.location == location
    assert reason in caught.value.reason


def test_word_errors_name_the_json_path():
    data = real_data()
    del data["results"]["utterances"]
    broken = copy.deepcopy(data)
    broken["results"]["channels"][0]["alternatives"][0]["words"][5]["start"] = -1

    with pytest.raises(ParseError) as caught:
        parse(json.dumps(broken), filename="dg.json")

    assert caught.value.location == "results.channels[0].alternatives[0].words[5].start"
    assert str(caught.value).startswith("dg.json: results.channels[0].alternatives[0].words[5]")


def test_invalid_json_and_wrong_top_level():
    with pytest.raises(ParseError) as caught:
        deepgram.parse('{"results": {\n"channels": [}')
    assert caught.value.location == "line 2 column 14"

    with pytest.raises(ParseError, match="got an array"):
        deepgram.parse("[]")


def test_symbl_messages_key_still_wins_detection():
    data = response([word("Hi", 0, 1, 0)])
    data["messages"] = []

    assert detect_format(json.dumps(data)) == "symbl"
