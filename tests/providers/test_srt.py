"""SRT parser: speaker prefixes (``Name:``, ``[Name]``, ``>> Name:``), continuation, errors."""

import pytest

from providers.formats import srt
from providers.types import ParseError, Speaker

INTERVIEW = """\
1
00:00:00,500 --> 00:00:02,000
Welcome, everyone.

2
00:00:02,000 --> 00:00:04,250
Jane Doe: Thanks for having me.
It's great to be here.

3
00:00:04,250 --> 00:00:06,000
<i>What brings you to town?</i>

4
00:00:06,000 --> 00:00:07,500
[Host] Tell us about the book.

5
00:01:07,500 --> 00:01:09,000
>> DR. O'NEIL: It started in 2019.
>> Jane Doe: And I joined later.

6
00:01:09,000 --> 00:01:10,000
>> Right.
"""


def test_prefixes_set_speaker_and_unprefixed_cues_continue_it():
    transcript = srt.parse(INTERVIEW)

    assert transcript.source == "srt"
    assert [(u.speaker_label, u.start, u.end, u.text) for u in transcript.utterances] == [
        ("unknown", 0.5, 2.0, "Welcome, everyone."),
        ("Jane Doe", 2.0, 4.25, "Thanks for having me. It's great to be here."),
        ("Jane Doe", 4.25, 6.0, "What brings you to town?"),
        ("Host", 6.0, 7.5, "Tell us about the book."),
        ("DR. O'NEIL", 67.5, 69.0, "It started in 2019."),
        ("Jane Doe", 67.5, 69.0, "And I joined later."),
        ("Jane Doe", 69.0, 70.0, "Right."),
    ]
    assert transcript.speakers == [
        Speaker(label="unknown"),
        Speaker(label="Jane Doe", name="Jane Doe"),
        Speaker(label="Host", name="Host"),
        Speaker(label="DR. O'NEIL", name="DR. O'NEIL"),
    ]
    assert transcript.title is None
    assert transcript.global_speaker_ids is False


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Speaker 1: hello", ("Speaker 1", "hello")),
        ("Ana María Ruiz: hola", ("Ana María Ruiz", "hola")),
        ("[Bob]: fine", ("Bob", "fine")),
        (">>Bob: fine", ("Bob", "fine")),
        ("Note: the meeting moved", ("Note", "the meeting moved")),
        # not names: sentence punctuation, too many words, lower case, URLs, clock times
        ("Well, John: hi", (None, "Well, John: hi")),
        ("One two three four five: six", (None, "One two three four five: six")),
        ("so here it is: yes", (None, "so here it is: yes")),
        ("see https://example.com", (None, "see https://example.com")),
        ("Meet at 10:30 today", (None, "Meet at 10:30 today")),
        ("[Applause]", (None, "[Applause]")),
        (">> Right.", (None, "Right.")),
    ],
)
def test_split_speaker(line, expected):
    assert srt.split_speaker(line) == expected


def test_cue_with_only_a_prefix_keeps_an_empty_utterance():
    transcript = srt.parse("1\n00:00:01,000 --> 00:00:02,000\nBOB:\n")

    assert [(u.speaker_label, u.text) for u in transcript.utterances] == [("BOB", "")]


def test_crlf_and_missing_final_blank_line():
    text = (
        "1\r\n00:00:01,000 --> 00:00:02,000\r\nAl: hi\r\n\r\n"
        "2\r\n00:00:02,000 --> 00:00:03,000\r\nyo"
    )

    transcript = srt.parse(text)

    assert [(u.speaker_label, u.text) for u in transcript.utterances] == [
        ("Al", "hi"),
        ("Al", "yo"),
    ]


def test_text_before_the_first_cue_names_its_line():
    text = "\n\nnot a subtitle\n\n1\n00:00:01,000 --> 00:00:02,000\nAl: hi\n"

    with pytest.raises(ParseError) as caught:
        srt.parse(text)

    assert caught.value.location == "line 3"
    assert "not a subtitle" in caught.value.reason


def test_broken_last_cue_names_the_line_where_it_starts():
    text = "1\n00:00:01,000 --> 00:00:02,000\nAl: hi\n\n2\n00:00:03,000 -> 00:00:04,000\nyo\n"

    with pytest.raises(ParseError) as caught:
        srt.parse(text)

    assert caught.value.location == "line 5"
    assert "not an SRT cue block" in caught.value.reason


def test_malformed_timings_line_is_not_folded_into_the_cue_above():
    # a non-numeric cue id: the srt library reads cue "two" as more text of cue 1
    text = (
        "1\n00:00:01,000 --> 00:00:02,000\nAl: hi\n\n"
        "two\n00:00:03,000 --> 00:00:04,000\nyo\n\n"
        "3\n00:00:05,000 --> 00:00:06,000\nbye\n"
    )

    with pytest.raises(ParseError) as caught:
        srt.parse(text)

    assert caught.value.location == "line 6"
    assert "00:00:03,000 --> 00:00:04,000" in caught.value.reason


def test_cue_ending_before_it_starts_names_its_timing_line():
    text = "1\n00:00:01,000 --> 00:00:02,000\nAl: hi\n\n2\n00:00:05,000 --> 00:00:04,000\nyo\n"

    with pytest.raises(ParseError) as caught:
        srt.parse(text)

    assert caught.value.location == "line 6"
    assert "ends before it starts" in caught.value.reason


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("[de Souza]: hola", ("de Souza", "hola")),
        ("[Ann (PM)]: ok", ("Ann (PM)", "ok")),
        ("[A: B]: c: d", ("A: B", "c: d")),
        (r"[x\]\\y]: z", (r"x]\y", "z")),
        ("[spk00 Real]:", ("spk00 Real", "")),
        # a bracket without a colon after it is a sound description, not a speaker
        ("[laughs] yes", (None, "[laughs] yes")),
        ("[music]", (None, "[music]")),
    ],
)
def test_split_speaker_reads_any_name_in_brackets_before_a_colon(line, expected):
    assert srt.split_speaker(line) == expected


def test_tagged_name_keeps_tag_like_text_and_the_text_loses_format_tags():
    transcript = srt.parse("1\n00:00:01,000 --> 00:00:02,000\n[Bo <b> & co]: <i>hi</i>\n")

    assert [(u.speaker_label, u.text) for u in transcript.utterances] == [("Bo <b> & co", "hi")]
