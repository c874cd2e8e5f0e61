"""RTTM parser: real NIST RT-09 files from VoxConverse, AMI and Earnings-21, errors, round trip."""

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from providers.formats import rttm
from providers.types import ParseError
from tests.data import REAL

# (file under rttm/, speakers, SPEAKER lines) as listed in the data README
REAL_COUNTS = [
    ("voxconverse-dev/kdfqk.rttm", 20, 170),
    ("voxconverse-dev/ngyrk.rttm", 2, 22),
    ("voxconverse-dev/ezsgk.rttm", 3, 52),
    ("voxconverse-dev/luvfz.rttm", 7, 53),
    ("ami-only_words-train/ES2002a.rttm", 4, 236),
    ("ami-only_words-train/ES2005a.rttm", 4, 76),
    ("earnings21/4386541.rttm", 5, 276),
]


def real_file(relative: str) -> Path:
    path = REAL / relative
    return path


def line(label, onset, duration, channel="1", file_id="f1"):
    return f"SPEAKER {file_id} {channel} {onset} {duration} <NA> <NA> {label} <NA> <NA>"


@pytest.mark.parametrize(("relative", "speakers", "turns"), REAL_COUNTS)
def test_real_files_give_readme_speaker_and_turn_counts(relative, speakers, turns):
    transcript = rttm.parse(real_file(f"rttm/{relative}").read_text())

    assert len(transcript.speakers) == speakers
    assert len(transcript.utterances) == turns
    assert transcript.source == "rttm"
    assert transcript.global_speaker_ids is False
    assert transcript.title is None
    assert not transcript.has_text
    starts = [u.start for u in transcript.utterances]
    assert starts == sorted(starts)
    labels = {s.label for s in transcript.speakers}
    assert {u.speaker_label for u in transcript.utterances} == labels
    assert all(s.channel == 1 and s.name is None for s in transcript.speakers)


def test_ngyrk_first_turn_and_speaker_order():
    transcript = rttm.parse(real_file("rttm/voxconverse-dev/ngyrk.rttm").read_text())

    # file order: spk00 appears on line 1, spk01 on line 2
    assert [s.label for s in transcript.speakers] == ["spk00", "spk01"]
    first = transcript.utterances[0]
    assert first.speaker_label == "spk01"
    assert first.start == pytest.approx(0.16)
    assert first.end == pytest.approx(0.16 + 25.36)
    assert first.channel == 1
    assert first.text == ""


def test_earnings21_integer_labels_stay_strings():
    transcript = rttm.parse(real_file("rttm/earnings21/4386541.rttm").read_bytes())

    assert sorted(s.label for s in transcript.speakers) == ["0", "1", "2", "3", "4"]
    assert transcript.utterances[0].start == pytest.approx(1.040)
    assert transcript.utterances[0].end == pytest.approx(1.040 + 3.828)


def test_comments_blank_lines_and_other_record_types_are_ignored():
    text = "\n".join(
        [
            ";; produced by a diarization system",
            "",
            "SPKR-INFO f1 1 <NA> <NA> <NA> unknown spkA <NA> <NA>",
            line("spkA", "2.5", "1.0"),
            "   ",
            "NON-SPEECH f1 1 3.5 0.5 <NA> noise <NA> <NA> <NA>",
            line("spkB", "0.5", "2.0"),
        ]
    )

    transcript = rttm.parse(text)

    assert [s.label for s in transcript.speakers] == ["spkA", "spkB"]
    assert [(u.speaker_label, u.start, u.end) for u in transcript.utterances] == [
        ("spkB", 0.5, 2.5),
        ("spkA", 2.5, 3.5),
    ]


def test_equal_starts_keep_file_order_and_overlaps_are_kept():
    transcript = rttm.parse(
        "\n".join([line("b", "1", "3"), line("a", "1", "1"), line("c", "0", "9")])
    )

    assert [u.speaker_label for u in transcript.utterances] == ["c", "b", "a"]


def test_same_label_on_two_channels_is_two_speakers():
    transcript = rttm.parse(
        "\n".join([line("spk0", "0", "1", channel="1"), line("spk0", "1", "1", channel="2")])
    )

    assert [(s.label, s.channel) for s in transcript.speakers] == [("spk0", 1), ("spk0", 2)]
    assert [u.channel for u in transcript.utterances] == [1, 2]


def test_nine_field_lines_and_tabs_are_accepted():
    transcript = rttm.parse("SPEAKER\tf1\t1\t0.00\t1.50\t<NA>\t<NA>\tspk00\t<NA>\n")

    assert transcript.utterances[0].end == pytest.approx(1.5)


def test_empty_file_is_an_empty_transcript():
    transcript = rttm.parse(";; nothing detected\n")

    assert transcript.speakers == [] and transcript.utterances == []


@pytest.mark.parametrize(
    ("bad_line", "reason"),
    [
        ("SPEAKER f1 1 0.0 1.0 <NA> <NA>", "7 fields"),
        (line("spk0", "abc", "1.0"), "onset 'abc' is not a number"),
        (line("spk0", "1.0", "x1"), "duration 'x1' is not a number"),
        (line("spk0", "1.0", "-0.5"), "negative duration"),
        (line("spk0", "-1.0", "0.5"), "negative onset"),
        (line("spk0", "1.0", "nan"), "not a finite number"),
        (line("spk0", "1.0", "1.0", channel="A"), "channel 'A' is not an integer"),
        ("ngyrk 1 0.000 150.000", "unknown RTTM record type 'ngyrk'"),
    ],
)
def test_malformed_line_names_its_line_number(bad_line, reason):
    text = "\n".join([";; header", line("spk0", "0", "1"), bad_line, line("spk1", "5", "1")])

    with pytest.raises(ParseError) as caught:
        rttm.parse(text)

    assert caught.value.location == "line 3"
    assert reason in caught.value.reason
    assert str(caught.value).startswith("line 3: ")


segments = st.lists(
    st.tuples(
        st.sampled_from(["spk00", "spk01", "FEE005", "0", "Speaker_2"]),
        st.floats(min_value=0, max_value=1e5, allow_nan=False, allow_infinity=False),
        st.floats(min_value=0, max_value=1e3, allow_nan=False, allow_infinity=False),
    ),
    max_size=40,
)


@given(segments)
def test_rttm_text_round_trips_to_the_same_segments(segs):
    text = "\n".join(line(label, repr(start), repr(duration)) for label, start, duration in segs)

    transcript = rttm.parse(text)

    expected = sorted(segs, key=lambda seg: seg[1])
    assert len(transcript.utterances) == len(expected)
    for utterance, (label, start, duration) in zip(transcript.utterances, expected, strict=True):
        assert utterance.speaker_label == label
        assert abs(utterance.start - start) <= 1e-6
        assert abs(utterance.end - (start + duration)) <= 1e-6
    assert [s.label for s in transcript.speakers] == list(dict.fromkeys(s[0] for s in segs))
