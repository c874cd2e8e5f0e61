"""ElevenLabs Scribe STT JSON (vendor-apis.md 2.2): single, multichannel, webhook, errors."""

import copy
import itertools
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from providers.formats import detect_format, elevenlabs_stt, parse
from providers.types import ParseError, Speaker


def tok(text, start, end, speaker="speaker_0", kind="word"):
    return {"text": text, "start": start, "end": end, "type": kind, "speaker_id": speaker,
            "logprob": -0.01}  # fmt: skip


# The example of vendor-apis.md section 2.2.
DOC_EXAMPLE = {
    "language_code": "eng",
    "language_probability": 0.98,
    "text": "Hi team. Morning!",
    "words": [
        tok("Hi", 0.12, 0.30),
        tok(" ", 0.30, 0.31, kind="spacing"),
        tok("Morning!", 1.10, 1.62, "speaker_1"),
    ],
    "transcription_id": "tr_9f2c",
    "audio_duration_secs": 1.7,
}

LONGER = {
    "language_code": "eng",
    "language_probability": 0.97,
    "text": "Hi team. (laughs) Morning! Hi Bo.",
    "words": [
        tok("Hi", 0.12, 0.30),
        tok(" ", 0.30, 0.31, kind="spacing"),
        tok("team.", 0.31, 0.7),
        tok(" ", 0.7, 0.72, kind="spacing"),
        {"text": "(laughs)", "start": 0.72, "end": 1.0, "type": "audio_event"},
        tok(" ", 1.0, 1.1, "speaker_1", kind="spacing"),
        tok("Morning!", 1.10, 1.62, "speaker_1"),
        tok(" ", 1.62, 1.9, "speaker_1", kind="spacing"),
        tok("Hi", 1.9, 2.1),
        tok(" ", 2.1, 2.15, kind="spacing"),
        tok("Bo.", 2.15, 2.5),
    ],
    "transcription_id": "tr_a1",
}


def multichannel():
    left = {"language_code": "eng", "channel_index": 0, "text": "Hello there.",
            "words": [tok("Hello", 0.0, 0.4), tok(" ", 0.4, 0.41, kind="spacing"),
                      tok("there.", 0.41, 0.9)]}  # fmt: skip
    right = {"language_code": "eng", "channel_index": 1, "text": "Hi.",
             "words": [tok("Hi.", 0.5, 0.8)]}  # fmt: skip
    return {"transcripts": [left, right], "transcription_id": "tr_mc", "audio_duration_secs": 1}


def test_doc_example():
    transcript = elevenlabs_stt.parse(json.dumps(DOC_EXAMPLE))

    assert transcript.source == "elevenlabs"
    assert transcript.speakers == [Speaker(label="speaker_0"), Speaker(label="speaker_1")]
    assert [(u.speaker_label, u.start, u.end, u.text) for u in transcript.utterances] == [
        ("speaker_0", 0.12, 0.30, "Hi"),
        ("speaker_1", 1.10, 1.62, "Morning!"),
    ]
    assert transcript.language == "eng"
    assert transcript.global_speaker_ids is False


def test_words_and_spacing_grouped_audio_events_skipped():
    transcript = parse(json.dumps(LONGER))

    assert [(u.speaker_label, u.start, u.end, u.text) for u in transcript.utterances] == [
        ("speaker_0", 0.12, 0.7, "Hi team."),
        ("speaker_1", 1.10, 1.62, "Morning!"),
        ("speaker_0", 1.9, 2.5, "Hi Bo."),
    ]
    assert len(transcript.speakers) == 2
    assert all("laughs" not in u.text for u in transcript.utterances)


def test_audio_event_does_not_split_a_speaker_run_nor_double_the_space():
    data = {"transcription_id": "t", "words": [
        tok("Well", 0, 0.3), tok(" ", 0.3, 0.31, kind="spacing"),
        {"text": "(cough)", "start": 0.31, "end": 0.6, "type": "audio_event",
         "speaker_id": "speaker_1"},
        tok(" ", 0.6, 0.61, kind="spacing"), tok("yes.", 0.61, 0.9)]}  # fmt: skip

    utterances = elevenlabs_stt.parse_data(data).utterances

    assert [(u.speaker_label, u.text, u.end) for u in utterances] == [
        ("speaker_0", "Well yes.", 0.9)
    ]


def test_multichannel_transcripts_keep_channel_index():
    transcript = elevenlabs_stt.parse_data(multichannel())

    assert transcript.speakers == [
        Speaker(label="speaker_0", channel=0),
        Speaker(label="speaker_0", channel=1),
    ]
    assert [(u.channel, u.start, u.text) for u in transcript.utterances] == [
        (0, 0.0, "Hello there."),
        (1, 0.5, "Hi."),
    ]


def test_webhook_body_is_unwrapped():
    body = {
        "type": "speech_to_text_transcription",
        "event_timestamp": 1739537297,
        "data": {"request_id": "req_1a2b", "transcription": DOC_EXAMPLE, "webhook_metadata": {}},
    }

    assert detect_format(json.dumps(body)) == "elevenlabs"
    assert len(parse(json.dumps(body)).utterances) == 2


def test_missing_speaker_and_type():
    data = {"transcription_id": "t", "words": [{"text": "Hello", "start": 0, "end": 1}]}

    utterance = elevenlabs_stt.parse_data(data).utterances[0]

    assert (utterance.speaker_label, utterance.text) == ("unknown", "Hello")


@pytest.mark.parametrize("data", [DOC_EXAMPLE, LONGER, multichannel()])
def test_detected(data):
    assert detect_format(json.dumps(data)) == "elevenlabs"
    assert detect_format(json.dumps(data).encode(), "stt.json") == "elevenlabs"


def test_words_without_ids_but_language_probability_detected():
    data = {k: v for k, v in DOC_EXAMPLE.items() if k != "transcription_id"}

    assert detect_format(json.dumps(data)) == "elevenlabs"


@pytest.mark.parametrize(
    ("data", "location", "reason"),
    [
        ({**DOC_EXAMPLE, "words": [tok("Hi", None, 0.3)]}, "words[0].start", "missing"),
        ({**DOC_EXAMPLE, "words": [tok("Hi", 0.1, 0.3), tok("x", 0.5, 0.4)]},
         "words[1].end", "end before start"),
        ({**DOC_EXAMPLE, "words": [tok("Hi", 0.1, 0.3, speaker=True)]},
         "words[0].speaker_id", "string or an integer"),
        ({**DOC_EXAMPLE, "words": [tok(7, 0.1, 0.3)]}, "words[0].text", "expected a string"),
        ({**DOC_EXAMPLE, "words": {"text": "Hi"}}, "words", "expected an array"),
        ({"message": "Request accepted", "request_id": "req_1a2b", "transcription_id": "tr"},
         "words", "not a finished transcription"),
    ],
)  # fmt: skip
def test_errors_name_the_json_path(data, location, reason):
    with pytest.raises(ParseError) as caught:
        elevenlabs_stt.parse(json.dumps(data))

    assert caught.value.location == location
    assert reason in caught.value.reason


def test_multichannel_error_path():
    data = multichannel()
    data["transcripts"][1]["words"][0]["end"] = "late"

    with pytest.raises(ParseError) as caught:
        parse(json.dumps(data), filename="mc.json")

    assert caught.value.location == "transcripts[1].words[0].end"
    assert str(caught.value) == "mc.json: transcripts[1].words[0].end: end 'late' is not a number"


def test_webhook_error_path():
    body = {"type": "speech_to_text_transcription",
            "data": {"transcription": copy.deepcopy(DOC_EXAMPLE)}}  # fmt: skip
    body["data"]["transcription"]["words"][2]["start"] = -1

    with pytest.raises(ParseError) as caught:
        elevenlabs_stt.parse_data(body)

    assert caught.value.location == "data.transcription.words[2].start"


def test_symbl_messages_key_still_wins_detection():
    assert detect_format(json.dumps({**DOC_EXAMPLE, "messages": []})) == "symbl"


@given(
    st.lists(
        st.tuples(st.sampled_from(["speaker_0", "speaker_1", "speaker_2"]), st.booleans()),
        max_size=30,
    )
)
def test_runs_of_one_speaker_become_one_utterance(tokens):
    words, t = [], 0.0
    for speaker, is_event in tokens:
        kind = "audio_event" if is_event else "word"
        words += [tok(f"w{len(words)}", t, t + 0.5, speaker, kind),
                  tok(" ", t + 0.5, t + 0.6, speaker, "spacing")]  # fmt: skip
        t += 1.0
    spoken = [(w["speaker_id"], w["text"]) for w in words if w["type"] == "word"]

    transcript = elevenlabs_stt.parse_data({"transcription_id": "t", "words": words})

    changes = sum(1 for a, b in itertools.pairwise(spoken) if a[0] != b[0])
    assert len(transcript.utterances) == (changes + 1 if spoken else 0)
    assert " ".join(u.text for u in transcript.utterances) == " ".join(t for _, t in spoken)
    assert [u.speaker_label for u in transcript.utterances] == [
        s for i, (s, _) in enumerate(spoken) if i == 0 or spoken[i - 1][0] != s
    ]
