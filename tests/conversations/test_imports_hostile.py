"""Hostile input to the import service: what one backend would refuse with a server error
(PostgreSQL: NUL characters, strings longer than their column, integers beyond 32 bits) or
store silently (SQLite) is refused on both, naming the field, and writes no row.

Runs on the backend ``DATABASE_URL`` chooses; ``scripts/run-tests.sh`` runs both.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diarization_portal.conversations.models import Conversation, Insight, Job, Member, Message
from diarization_portal.conversations.services.imports import (
    ImportRejected,
    file_import,
    transcript_import,
)
from providers.types import InsightData, ParseError, Speaker, Transcript, Utterance
from tests import factories
from tests.conftest import SAMPLES

pytestmark = pytest.mark.django_db
MODELS = (Conversation, Job, Member, Message, Insight)


def counts() -> tuple[int, ...]:
    return tuple(model.objects.count() for model in MODELS)


def rttm(label: str = "spk_a", channel: str = "1") -> bytes:
    return f"SPEAKER call {channel} 0.00 1.50 <NA> <NA> {label} <NA> <NA>\n".encode()


def symbl(**member) -> bytes:
    body = json.loads((SAMPLES / "weekly-sync.symbl.json").read_text())
    body["members"][0].update(member)
    return json.dumps(body).encode()


def refused(data: bytes, name: str, match: str) -> None:
    ws = factories.workspace()
    before = counts()
    with pytest.raises(ImportRejected, match=match):
        file_import(workspace=ws, data=data, source_name=name)
    assert counts() == before


def test_a_speaker_label_over_200_characters_is_refused_naming_it():
    refused(rttm("x" * 201), "long.rttm", r"speaker 0: label is 201 characters long, at most 200")


def test_a_speaker_label_of_200_characters_is_imported():
    ws = factories.workspace()
    result = file_import(workspace=ws, data=rttm("x" * 200), source_name="ok.rttm")
    assert Member.objects.get(conversation=result.conversation).vendor_label == "x" * 200


def test_an_email_over_254_characters_is_refused_naming_it():
    email = "a" * 250 + "@example.org"
    refused(symbl(email=email), "long.json", r"speaker \d+: email is 262 characters long")


def test_a_name_over_200_characters_is_refused_naming_it():
    refused(symbl(name="N" * 201), "long.json", r"speaker \d+: name is 201 characters")


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (rttm("a\x00b"), r"speaker 0: label contains a NUL"),
        (symbl(name="Ann\x00"), r"speaker \d+: name contains a NUL"),
        (symbl(name="\ud800"), r"speaker \d+: name holds an unpaired surrogate"),
    ],
    ids=["rttm-label", "json-name", "surrogate"],
)
def test_text_that_cannot_be_stored_is_refused_naming_it(data, match):
    refused(data, "bad.rttm" if data.startswith(b"SPEAKER") else "bad.json", match)


def test_a_nul_in_the_conversation_name_is_refused_naming_it():
    body = json.loads((SAMPLES / "weekly-sync.symbl.json").read_text())
    body["conversation"]["name"] = "Weekly\x00sync"
    refused(json.dumps(body).encode(), "nul.json", r"transcript: title contains a NUL")


def test_a_channel_beyond_32_bits_is_refused():
    refused(rttm(channel=str(2**40)), "wide.rttm", r"speaker 0: channel \d+ is out of range")


def test_deeply_nested_insight_phrases_are_refused():
    body = json.loads((SAMPLES / "weekly-sync.symbl.json").read_text())
    nested: list = []
    for _ in range(200):
        nested = [nested]
    body["insights"][0]["phrases"] = nested
    refused(json.dumps(body).encode(), "deep.json", r"insight 0: phrases nests arrays")


def test_an_impossible_date_is_refused_naming_it():
    body = json.loads((SAMPLES / "weekly-sync.symbl.json").read_text())
    body["conversation"]["startTime"] = "2024-13-45T10:00:00Z"
    with pytest.raises((ImportRejected, ParseError), match="2024-13-45"):
        file_import(
            workspace=factories.workspace(), data=json.dumps(body).encode(), source_name="d.json"
        )


# -- properties -------------------------------------------------------------------------------

hostile_text = st.text(max_size=12) | st.sampled_from(
    ["", "\x00", "a\x00", "\ud800", "x" * 201, "y" * 255 + "@e.org", "Speaker 1", "\\N", "\t"]
)
labels = st.sampled_from(["A", "B", "x" * 201, "a\x00"]) | st.text(max_size=5)
PROPERTY = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@st.composite
def transcripts(draw) -> Transcript:
    speakers = draw(
        st.lists(
            st.builds(
                Speaker,
                label=labels,
                channel=st.integers(min_value=-(2**33), max_value=2**33) | st.just(0),
                name=st.none() | hostile_text,
                email=st.none() | hostile_text,
            ),
            max_size=4,
            unique_by=lambda s: (s.label, s.channel),
        )
    )
    known = [s.label for s in speakers] or ["A"]
    utterances = draw(
        st.lists(
            st.builds(
                Utterance,
                speaker_label=st.sampled_from(known) | labels,
                start=st.floats(min_value=0, max_value=1e6) | st.just(float("nan")),
                end=st.floats(min_value=0, max_value=1e6) | st.just(float("inf")),
                text=hostile_text,
                channel=st.just(0) | st.integers(min_value=-(2**33), max_value=2**33),
                external_id=st.none() | hostile_text,
            ),
            max_size=5,
        )
    )
    insights = draw(
        st.lists(
            st.builds(
                InsightData,
                type=st.sampled_from(["question", "action_item", "topic", "x" * 20]),
                text=hostile_text,
                external_id=st.none() | hostile_text,
                score=st.none() | st.floats(allow_nan=True, allow_infinity=True),
                from_label=st.none() | st.sampled_from(known),
                phrases=st.lists(st.dictionaries(st.text(max_size=3), hostile_text), max_size=2),
                due_by=st.none() | st.sampled_from(["2024-01-02T03:04:05Z", "2024-13-45T00:00:00"]),
            ),
            max_size=2,
        )
    )
    return Transcript(
        source=draw(st.sampled_from(["symbl", "rttm"])),
        speakers=speakers,
        utterances=utterances,
        insights=insights,
        title=draw(st.none() | hostile_text),
        language=draw(st.none() | st.sampled_from(["en", "en-US", "x" * 17, "\x00"])),
        started_at=draw(st.none() | st.sampled_from(["2024-01-02T03:04:05Z", "2024-02-30T00:00"])),
        global_speaker_ids=draw(st.booleans()),
    )


@PROPERTY
@given(transcript=transcripts())
def test_any_transcript_is_imported_whole_or_refused_with_nothing_written(transcript):
    ws = factories.workspace()
    before = counts()
    try:
        result = transcript_import(
            workspace=ws, transcript=transcript, source_name="h.json", sha256="cd" * 32
        )
    except ImportRejected:
        assert counts() == before
        return
    assert Message.objects.filter(conversation=result.conversation).count() == len(
        {u.external_id or i for i, u in enumerate(transcript.utterances)}
    )


@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.glob("*.*") if p.suffix != ".md"))
@PROPERTY
@given(data=st.data())
def test_any_mutated_file_is_imported_or_refused_with_nothing_written(sample, data):
    body = (SAMPLES / sample).read_bytes()
    start = data.draw(st.integers(min_value=0, max_value=len(body)))
    end = data.draw(st.integers(min_value=start, max_value=min(len(body), start + 30)))
    junk = data.draw(
        st.binary(max_size=12)
        | st.sampled_from(
            [b"\\u0000", b"\x00", b"\\ud800", b"x" * 300, b"9" * 20, b"NaN", b"2024-13-45T00:00"]
        )
    )
    ws = factories.workspace()
    before = counts()
    try:
        file_import(workspace=ws, data=body[:start] + junk + body[end:], source_name=sample)
    except (ParseError, ImportRejected):
        assert counts() == before


def test_an_unknown_speaker_after_rows_were_written_leaves_nothing():
    """The message rows stream into the COPY (PostgreSQL) or the batched INSERTs (SQLite) as
    they are made: a bad utterance after the first batch went out rolls every row back."""
    ws = factories.workspace()
    utterances = [Utterance(speaker_label="A", start=i, end=i + 0.5) for i in range(5000)]
    utterances[4500] = Utterance(speaker_label="ghost", start=4500, end=4500.5)
    transcript = Transcript(source="rttm", speakers=[Speaker(label="A")], utterances=utterances)
    before = counts()
    with pytest.raises(ImportRejected, match="utterance 4500: speaker 'ghost'"):
        transcript_import(workspace=ws, transcript=transcript, source_name="x", sha256="ef" * 32)
    assert counts() == before
