"""WebVTT parser: the real Podcasting 2.0 example file, voice spans and errors."""

from pathlib import Path

import pytest

from providers.formats import vtt
from providers.types import ParseError, Speaker
from tests.data import REAL


def real_file(relative: str) -> Path:
    path = REAL / relative
    return path


def test_real_podcast_example_has_two_named_speakers_and_seven_turns():
    transcript = vtt.parse(real_file("transcripts/podcast/example.vtt").read_text())

    assert transcript.source == "vtt"
    assert transcript.speakers == [
        Speaker(label="Sarah", name="Sarah"),
        Speaker(label="Gillian", name="Gillian"),
    ]
    assert len(transcript.utterances) == 7
    assert [u.speaker_label for u in transcript.utterances] == ["Sarah"] * 5 + ["Gillian"] * 2
    first, last = transcript.utterances[0], transcript.utterances[-1]
    assert (first.start, first.end) == (0.0, 2.76)
    assert first.text == "In today's episode, you'll learn whether or not you"
    assert (last.start, last.end) == (21.45, 25.35)
    assert last.text == "careers podcast. My question is, do we need a podcast trailer?"
    # character references are decoded, voice tags never leak into the text
    assert "Podcasting Q&A," in transcript.utterances[2].text
    assert not any("<" in u.text or "&amp;" in u.text for u in transcript.utterances)
    assert transcript.global_speaker_ids is False


def test_real_file_as_bytes_with_bom_parses_the_same():
    raw = real_file("transcripts/podcast/example.vtt").read_bytes()

    assert vtt.parse(b"\xef\xbb\xbf" + raw).utterances == vtt.parse(raw.decode()).utterances


def test_cue_with_several_voice_spans_splits_into_utterances_sharing_times():
    text = (
        "WEBVTT - Weekly sync\n\n"
        "00:01.000 --> 00:04.000\n"
        "<v Ann Lee>Are we done?</v> <v.loud.angry Bob>No!</v>\n"
        "<v Ann Lee>OK, <i>fine</i>.\n"
    )

    transcript = vtt.parse(text)

    assert transcript.title == "Weekly sync"
    assert [(u.speaker_label, u.start, u.end, u.text) for u in transcript.utterances] == [
        ("Ann Lee", 1.0, 4.0, "Are we done?"),
        ("Bob", 1.0, 4.0, "No!"),
        ("Ann Lee", 1.0, 4.0, "OK, fine."),
    ]
    assert [s.name for s in transcript.speakers] == ["Ann Lee", "Bob"]


def test_cue_without_voice_continues_previous_speaker_and_starts_unknown():
    text = (
        "WEBVTT\n\n"
        "1\n00:00:00.000 --> 00:00:01.000\nIntro music fades.\n\n"
        "NOTE speaker comes next\n\n"
        "2\n00:00:01.000 --> 00:00:02.500\n<v Mia>Hello\nand welcome.\n\n"
        "3\n00:00:02.500 --> 00:00:03.000\nstill Mia here\n"
    )

    transcript = vtt.parse(text)

    assert [(u.speaker_label, u.text) for u in transcript.utterances] == [
        ("unknown", "Intro music fades."),
        ("Mia", "Hello and welcome."),
        ("Mia", "still Mia here"),
    ]
    assert transcript.speakers == [Speaker(label="unknown"), Speaker(label="Mia", name="Mia")]


def test_missing_header_is_reported_on_line_1():
    with pytest.raises(ParseError) as caught:
        vtt.parse("00:00.000 --> 00:01.000\n<v A>hi\n")

    assert caught.value.location == "line 1"
    assert "WEBVTT" in caught.value.reason


def test_invalid_cue_timings_name_the_line_instead_of_dropping_the_cue():
    text = "WEBVTT\n\n00:00.000 --> 00:01.000\n<v A>ok\n\n00:00:61.000 --> 00:01:02.000\n<v A>x\n"

    with pytest.raises(ParseError) as caught:
        vtt.parse(text)

    assert caught.value.location == "line 6"
    assert "00:00:61.000" in caught.value.reason


def test_cue_ending_before_it_starts_names_its_timing_line():
    text = "WEBVTT\n\n00:05.000 --> 00:06.000\n<v A>ok\n\n00:09.000 --> 00:07.000\n<v A>x\n"

    with pytest.raises(ParseError) as caught:
        vtt.parse(text)

    assert caught.value.location == "line 6"
    assert "ends before it starts" in caught.value.reason


def test_header_only_file_is_an_empty_transcript():
    transcript = vtt.parse("WEBVTT\n")

    assert transcript.utterances == [] and transcript.speakers == []


def test_voice_spans_helper():
    assert vtt.voice_spans("lead <v A>one</v><v B> two ") == [
        (None, "lead"),
        ("A", "one"),
        ("B", "two"),
    ]
    assert vtt.voice_spans("<v Empty></v>") == [("Empty", "")]


def test_voice_names_have_character_references_decoded():
    transcript = vtt.parse(
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v AT&amp;T &lt;sales&gt;>hi &amp; bye\n"
    )

    assert [(u.speaker_label, u.text) for u in transcript.utterances] == [
        ("AT&T <sales>", "hi & bye")
    ]
    assert transcript.speakers[0].name == "AT&T <sales>"
