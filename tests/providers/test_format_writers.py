"""Format writers against their parsers, without Django or a database: for WebVTT, SRT, RTTM
and Symbl JSON, writing utterances with ``providers/formats/<format>.py`` and reading the
text back with the same module gives the same speakers, times (to the format's precision)
and text."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from providers.formats import rttm, srt, symbl, vtt
from providers.formats._common import squash
from providers.types import InsightData, Speaker, Utterance

#: Half a millisecond: WebVTT, SRT and RTTM keep times to the millisecond (halves up).
MS_PRECISION = 0.0005 + 1e-9

_ALPHABET = st.characters(categories=("L", "N", "Zs"), include_characters="&<>'.-,:;[]\\!?\"/_\n\t")
# SRT has no escapes: ``<...>`` and ``{\\...}`` are read back as formatting, ``-->`` as timings.
_SRT_ALPHABET = st.characters(categories=("L", "N", "Zs"), include_characters="&'.-,:;[]\\!?\"")

_times = st.tuples(
    st.floats(min_value=0, max_value=200_000, allow_nan=False),
    st.floats(min_value=0, max_value=3_600, allow_nan=False),
).map(lambda pair: (pair[0], pair[0] + pair[1]))


def _named_utterances(alphabet):
    """Utterances in timeline order whose label is a speaker name on one line."""
    names = st.lists(
        st.text(alphabet, min_size=1, max_size=30).map(squash).filter(bool),
        min_size=1,
        max_size=4,
        unique=True,
    )
    return names.flatmap(
        lambda said: st.lists(
            st.tuples(st.sampled_from(said), _times, st.text(alphabet, max_size=60).map(squash)),
            max_size=12,
        ).map(
            lambda rows: [
                Utterance(speaker_label=name, start=start, end=end, text=text)
                for name, (start, end), text in sorted(rows, key=lambda r: r[1][0])
            ]
        )
    )


def _assert_same_turns(parsed, written, *, label=lambda name: name):
    assert len(parsed.utterances) == len(written)
    for got, want in zip(parsed.utterances, written, strict=True):
        assert got.speaker_label == label(want.speaker_label)
        assert abs(got.start - want.start) <= MS_PRECISION
        assert abs(got.end - want.end) <= MS_PRECISION


@settings(max_examples=150, deadline=None)
@given(_named_utterances(_ALPHABET), st.text(_ALPHABET, max_size=20))
def test_webvtt_write_then_parse_gives_the_same_turns(utterances, title):
    parsed = vtt.parse(vtt.write(utterances, title=title))

    _assert_same_turns(parsed, utterances)
    assert [u.text for u in parsed.utterances] == [u.text for u in utterances]
    assert {s.name for s in parsed.speakers} == {u.speaker_label for u in utterances}
    shown = squash(title)
    if "-->" in shown:
        assert parsed.title is None
    elif not shown.startswith("-"):  # the reader drops the dashes after "WEBVTT"
        assert parsed.title == (shown or None)


@settings(max_examples=150, deadline=None)
@given(_named_utterances(_SRT_ALPHABET))
def test_srt_write_then_parse_gives_the_same_turns(utterances):
    parsed = srt.parse(srt.write(utterances))

    _assert_same_turns(parsed, utterances)
    assert [u.text for u in parsed.utterances] == [u.text for u in utterances]
    assert {s.name for s in parsed.speakers} == {u.speaker_label for u in utterances}


@settings(max_examples=150, deadline=None)
@given(_named_utterances(_ALPHABET), st.integers(min_value=0, max_value=3), st.text(max_size=10))
def test_rttm_write_then_parse_gives_the_same_turns(utterances, channel, file_id):
    utterances = [
        Utterance(u.speaker_label, u.start, u.end, u.text, channel=channel) for u in utterances
    ]
    parsed = rttm.parse(rttm.write(utterances, file_id=rttm.token(file_id) or "meeting"))

    _assert_same_turns(parsed, utterances, label=rttm.token)
    assert {u.channel for u in parsed.utterances} <= {channel or 1}
    assert all(u.text == "" for u in parsed.utterances)


def test_writers_round_times_to_milliseconds_and_never_end_before_the_start():
    utterances = [Utterance("Ann Lee", 1.0005, 0.5, "a & b <c>")]

    assert (
        vtt.write(utterances)
        == "WEBVTT\n\n00:00:01.001 --> 00:00:01.001\n<v Ann Lee>a &amp; b &lt;c&gt;\n"
    )
    assert srt.write(utterances) == "1\n00:00:01,001 --> 00:00:01,001\nAnn Lee: a & b <c>\n\n"
    assert (
        rttm.write(utterances, file_id="weekly sync")
        == "SPEAKER weekly_sync 1 1.001 0.000 <NA> <NA> Ann_Lee <NA> <NA>\n"
    )


_ids = st.text(st.characters(categories=("L", "N")), min_size=1, max_size=8)


@st.composite
def _bundles(draw):
    people = draw(
        st.lists(
            st.builds(
                Speaker,
                label=_ids,
                name=st.text(min_size=1, max_size=20),
                email=st.none() | st.emails(),
            ),
            min_size=1,
            max_size=4,
            unique_by=lambda s: s.label,
        )
    )
    labels = [p.label for p in people]
    rows = draw(st.lists(st.tuples(st.sampled_from(labels), _times, st.text()), max_size=10))
    utterances = [
        Utterance(label, start, end, text, external_id=f"m{i}")
        for i, (label, (start, end), text) in enumerate(sorted(rows, key=lambda r: r[1][0]))
    ]
    insights = [
        InsightData(
            type=draw(st.sampled_from(("action_item", "question", "follow_up"))),
            text=draw(st.text()),
            external_id=f"i{i}",
            score=draw(st.none() | st.floats(0, 1)),
            from_label=draw(st.none() | st.sampled_from(labels)),
            assignee_label=draw(st.none() | st.sampled_from(labels)),
            message_ids=tuple(u.external_id for u in utterances[:i]),
            definitive=draw(st.none() | st.booleans()),
            due_by=draw(st.none() | st.just("2024-03-05T09:00:00.000Z")),
        )
        for i in range(draw(st.integers(0, 3)))
    ]
    return people, utterances, insights


@settings(max_examples=100, deadline=None)
@given(_bundles())
def test_symbl_write_then_parse_gives_the_same_speakers_messages_and_insights(bundle):
    people, utterances, insights = bundle
    text = symbl.write(
        conversation_id="c1",
        title="Weekly sync",
        started_at=None,
        members=people,
        utterances=utterances,
        insights=insights,
        speakers={p.label: p for p in people},
    )
    parsed = symbl.parse(text)

    assert parsed.title == "Weekly sync"
    assert {(s.label, s.name, s.email) for s in parsed.speakers} == {
        (p.label, p.name, p.email) for p in people
    }
    assert [
        (u.speaker_label, u.start, u.end, u.text, u.external_id) for u in parsed.utterances
    ] == [(u.speaker_label, u.start, u.end, u.text, u.external_id) for u in utterances]
    assert parsed.insights == insights


def test_symbl_writes_absolute_times_from_the_start():
    text = symbl.write(
        conversation_id="c1",
        title="",
        started_at=datetime(2024, 3, 4, 10, 0, tzinfo=UTC),
        members=[Speaker("u1", name="Ann")],
        utterances=[Utterance("u1", 1.12, 2.5, "hi", external_id="m1")],
        insights=[],
        speakers={"u1": Speaker("u1", name="Ann")},
    )

    assert '"startTime":"2024-03-04T10:00:01.120Z","endTime":"2024-03-04T10:00:02.500Z"' in text
    assert symbl.parse(text).started_at == "2024-03-04T10:00:00.000Z"


def test_the_format_modules_load_without_django():
    code = (
        "import sys; import providers.formats.vtt, providers.formats.srt, "
        "providers.formats.rttm, providers.formats.symbl; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=None
    )

    assert done.stdout.strip() == "[]"
