"""Format detection and the ``providers.formats.parse`` entry point."""

import json
from pathlib import Path

import pytest

from providers.formats import FORMATS, detect_format, parse
from providers.types import ParseError
from tests.data import REAL

SRT_TEXT = "1\n00:00:01,000 --> 00:00:02,000\nAl: hi\n\n2\n00:00:02,000 --> 00:00:03,000\nyo\n"
SYMBL_TEXT = json.dumps(
    {
        "messages": [
            {"id": "1", "text": "hi", "from": {"name": "Al"}, "timeOffset": 0, "duration": 1}
        ]
    }
)
RTTM_TEXT = "SPEAKER f1 1 0.00 1.00 <NA> <NA> spk00 <NA> <NA>\n"


def real_file(relative: str) -> Path:
    path = REAL / relative
    return path


def test_formats_constant():
    assert FORMATS == ("symbl", "rttm", "vtt", "srt")


@pytest.mark.parametrize(
    "relative",
    [
        "rttm/voxconverse-dev/ngyrk.rttm",
        "rttm/ami-only_words-train/ES2005a.rttm",
        "rttm/earnings21/4386541.rttm",
    ],
)
def test_real_rttm_is_detected_from_content(relative):
    text = real_file(relative).read_text()

    assert detect_format(text) == "rttm"
    assert detect_format(text, "upload.txt") == "rttm"


def test_real_vtt_is_detected_and_parsed():
    raw = real_file("transcripts/podcast/example.vtt").read_bytes()

    assert detect_format(raw.decode()) == "vtt"
    transcript = parse(raw, filename="example.vtt")
    assert transcript.source == "vtt"
    assert len(transcript.speakers) == 2 and len(transcript.utterances) == 7


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (SRT_TEXT, "srt"),
        ("\n\n" + SRT_TEXT, "srt"),
        (SYMBL_TEXT, "symbl"),
        (
            "  \n" + json.dumps({"conversation": {"name": "x"}, "members": [], "messages": []}),
            "symbl",
        ),
        (RTTM_TEXT, "rttm"),
        (";; comment\nSPKR-INFO f1 1 <NA> <NA> <NA> unknown spk00 <NA> <NA>\n" + RTTM_TEXT, "rttm"),
        ("WEBVTT\n\n00:01.000 --> 00:02.000\n<v A>hi\n", "vtt"),
        ("\ufeffWEBVTT - title\n", "vtt"),
    ],
)
def test_detects_each_format_from_content(text, expected):
    assert detect_format(text) == expected
    assert parse(text).source == expected


def test_extension_does_not_override_content():
    assert detect_format(RTTM_TEXT, "meeting.srt") == "rttm"
    assert detect_format(SRT_TEXT, "meeting.json") == "srt"


def test_extension_breaks_a_tie_between_matching_formats():
    # invalid JSON mentioning "messages" (symbl) that also holds an RTTM SPEAKER line
    text = '{"messages": [\n' + RTTM_TEXT

    assert detect_format(text) == "symbl"
    assert detect_format(text, "diarization.RTTM") == "rttm"
    assert detect_format(text, "notes.srt") == "symbl"


def test_invalid_symbl_json_is_reported_by_the_symbl_parser():
    with pytest.raises(ParseError) as caught:
        parse('{"messages": [\n  {"text": "hi"\n]}', filename="conv.json")

    assert caught.value.source == "conv.json"
    assert caught.value.location == "line 3 column 1"
    assert str(caught.value).startswith("conv.json: line 3 column 1: invalid JSON")


@pytest.mark.parametrize(
    ("text", "location", "reason"),
    [
        ("", None, "empty"),
        ("   \n\n", None, "empty"),
        ("hello world\nsecond line", "line 1", "first line 'hello world'"),
        (
            '{"results": {"channels": []}, "metadata": {}}',
            None,
            'without a "messages" array (keys: results, metadata)',
        ),
        ('{"results": [1, 2', "line 1 column 18", "not valid JSON"),
        ("[1, 2]", None, "JSON list"),
        ("\n;; only\nSPEAKER f1 1 0.0 1.0\n", "line 3", "has 5 fields"),
        ("00:00:01.000 --> 00:00:02.000\nno header\n", "line 1", "'00:00:01.000 --> 00:00:02.000'"),
    ],
)
def test_undetectable_content_says_what_was_seen(text, location, reason):
    with pytest.raises(ParseError) as caught:
        detect_format(text)

    assert caught.value.location == location
    assert reason in caught.value.reason


def test_extension_alone_is_not_enough():
    with pytest.raises(ParseError) as caught:
        parse("Speaker 1: hello\n", filename="call.srt")

    assert "the file name says srt" in caught.value.reason
    assert caught.value.source == "call.srt"


def test_parse_errors_carry_the_filename():
    with pytest.raises(ParseError) as caught:
        parse(RTTM_TEXT + "SPEAKER f1 1 2.0 -1.0 <NA> <NA> spk00 <NA> <NA>\n", filename="a.rttm")

    err = caught.value
    assert (err.source, err.location) == ("a.rttm", "line 2")
    assert str(err) == "a.rttm: line 2: negative duration '-1.0'"


def test_parse_without_filename_keeps_source_empty():
    with pytest.raises(ParseError) as caught:
        parse("SPEAKER f1 1 x 1.0 <NA> <NA> spk00 <NA> <NA>\n")

    assert caught.value.source is None
    assert str(caught.value) == "line 1: onset 'x' is not a number of seconds"


def test_explicit_format_skips_detection():
    text = "SPEAKER f1 1 0.0 1.0 <NA> <NA> spk00\n"  # 8 fields: still RTTM

    assert parse(text, format="rttm").utterances[0].end == 1.0
    with pytest.raises(ParseError, match="unknown format 'docx'"):
        parse(text, format="docx", filename="x.docx")


def test_bytes_with_bom_and_undecodable_bytes():
    assert parse(b"\xef\xbb\xbf" + SRT_TEXT.encode()).utterances[0].speaker_label == "Al"
    assert detect_format(b"\xef\xbb\xbf" + RTTM_TEXT.encode()) == "rttm"

    with pytest.raises(ParseError) as caught:
        parse(b"WEBVTT\n\n\xff\xfe oops", filename="x.vtt")

    assert caught.value.location == "byte 8"
    assert "UTF-8" in caught.value.reason
    assert caught.value.source == "x.vtt"
