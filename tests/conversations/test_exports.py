"""Exports round-trip through our own importers: WebVTT, SRT, RTTM and Symbl JSON.

Each sample (and each real RTTM file) is imported, exported and the export imported again into
a new conversation; speakers, segment counts, times (to the format's precision) and texts must
come back. WebVTT and SRT output is also read with webvtt-py and srt, not only our parsers.
"""

from __future__ import annotations

import io
import json
import re

import pytest
import srt
import webvtt

from diarization_portal.conversations.models import Insight, Member, Message
from diarization_portal.conversations.services.exports import (
    FORMATS,
    UnknownExportFormat,
    conversation_export,
)
from diarization_portal.conversations.services.imports import file_import
from diarization_portal.conversations.services.speakers import member_merge, member_rename
from providers.formats import rttm as rttm_format
from providers.formats._common import squash
from providers.formats.rttm import token as rttm_token
from providers.formats.srt import speaker_prefix as srt_prefix
from tests import factories
from tests.conftest import SAMPLES
from tests.data import REAL

pytestmark = pytest.mark.django_db

SAMPLE_FILES = sorted(
    p.name for p in SAMPLES.iterdir() if p.suffix in {".json", ".rttm", ".vtt", ".srt"}
)
REAL_RTTM = sorted(REAL.glob("rttm/*/*.rttm"))
#: Largest time difference a format's precision allows (milliseconds, rounded), in seconds.
TOLERANCE = {"vtt": 0.0005 + 1e-9, "srt": 0.0005 + 1e-9, "rttm": 0.0005 + 1e-9, "json": 1e-9}
RTTM_LINE = re.compile(r"^SPEAKER (\S+) (\d+) (\d+\.\d{3}) (\d+\.\d{3}) <NA> <NA> (\S+) <NA> <NA>$")


@pytest.fixture
def ws():
    return factories.workspace()


def imported(ws, name: str, into=None):
    data = (SAMPLES / name).read_bytes()
    return file_import(workspace=ws, data=data, source_name=name, into=into).conversation


def export_text(conversation, fmt: str) -> str:
    return conversation_export(conversation=conversation, format=fmt).read()


def reimported(ws, conversation, fmt: str):
    export = conversation_export(conversation=conversation, format=fmt)
    data = export.read().encode("utf-8")
    return file_import(workspace=ws, data=data, source_name=export.filename).conversation


def segments(conversation, fmt: str | None = None) -> list[tuple[str, float, float, str]]:
    """``(speaker, start, end, text)`` per message in timeline order. The speaker is the
    member's name; after an RTTM re-import, its label (RTTM has names only as labels)."""
    rows = Message.objects.filter(conversation=conversation).select_related("member")
    return [
        (m.member.vendor_label if fmt == "rttm" else m.member.name, m.start, m.end, m.text)
        for m in rows.order_by("start", "pk")
    ]


def expected_speaker(name: str, fmt: str) -> str:
    if fmt == "json":
        return name
    return rttm_token(name) if fmt == "rttm" else squash(name)


def assert_round_trip(original, again, fmt: str) -> None:
    before, after = segments(original), segments(again, fmt)
    assert len(after) == len(before)
    for (name, start, end, text), (name2, start2, end2, text2) in zip(before, after, strict=True):
        assert name2 == expected_speaker(name, fmt)
        assert start2 == pytest.approx(start, abs=TOLERANCE[fmt])
        assert end2 == pytest.approx(end, abs=TOLERANCE[fmt])
        if fmt == "json":
            assert text2 == text
        elif fmt == "rttm":
            assert text2 == ""
        else:
            assert text2 == squash(text)


# --- round trips ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("sample", SAMPLE_FILES)
def test_samples_round_trip(ws, sample, fmt):
    original = imported(ws, sample)
    assert original.messages.exists()

    again = reimported(ws, original, fmt)

    assert_round_trip(original, again, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_rename_before_export_shows_the_new_name_everywhere(ws, fmt):
    conv = imported(ws, "weekly-sync.symbl.json")
    member = conv.members.get(name="Speaker 1")
    member_rename(member=member, name="Ada  Lovelace & Co <PM>")
    text = export_text(conv, fmt)

    if fmt == "vtt":
        voices = {c.voice for c in webvtt.from_string(text).captions}
        assert "Ada  Lovelace &amp; Co &lt;PM&gt;" not in voices  # names are written squashed
        assert "Ada Lovelace &amp; Co &lt;PM&gt;" in voices
        assert "Speaker 1" not in voices
    elif fmt == "srt":
        contents = [cue.content for cue in srt.parse(text)]
        assert any(c.startswith("[Ada Lovelace & Co <PM>]: ") for c in contents)
        assert not any("Speaker 1" in c for c in contents)
    elif fmt == "rttm":
        speakers = {line.split()[7] for line in text.splitlines()}
        assert "Ada_Lovelace_&_Co_<PM>" in speakers
        assert "Speaker_1" not in speakers
    else:
        bundle = json.loads(text)
        names = [m["name"] for m in bundle["members"]]
        assert "Ada  Lovelace & Co <PM>" in names and "Speaker 1" not in names
        people = [m["from"] for m in bundle["messages"]]
        people += [i[k] for i in bundle["insights"] for k in ("from", "assignee") if i[k]]
        renamed = [p for p in people if p["id"] == str(member.uuid)]
        assert renamed and {p["name"] for p in renamed} == {"Ada  Lovelace & Co <PM>"}
        assert "Speaker 1" not in {p["name"] for p in people}

    assert_round_trip(conv, reimported(ws, conv, fmt), fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_merged_members_never_appear_and_appended_times_stay_absolute(ws, fmt):
    conv = imported(ws, "weekly-sync.symbl.json")
    conv = imported(ws, "weekly-sync-part2.srt", into=conv)
    part2 = conv.jobs.get(source_name="weekly-sync-part2.srt")
    assert part2.time_offset > 500
    priya_1, priya_2 = conv.members.filter(name="Priya Natarajan").order_by("position")
    member_merge(source=priya_2, target=priya_1)
    member_rename(member=conv.members.get(name="Speaker A"), name="Marcus Webb")
    member_merge(
        source=conv.members.get(name="Marcus Webb"), target=conv.members.get(name="Speaker 1")
    )
    live = set(Member.objects.live().filter(conversation=conv).values_list("name", flat=True))
    text = export_text(conv, fmt)

    if fmt == "json":
        bundle = json.loads(text)
        ids = {m["id"] for m in bundle["members"]}
        assert ids == {
            str(u)
            for u in Member.objects.live().filter(conversation=conv).values_list("uuid", flat=True)
        }
        assert str(priya_2.uuid) not in ids
        assert {m["from"]["id"] for m in bundle["messages"]} <= ids
        assert len(bundle["insights"]) == Insight.objects.filter(conversation=conv).count()
    else:
        again = reimported(ws, conv, fmt)
        spoken = {name for name, *_ in segments(again, fmt)}
        assert spoken == {expected_speaker(n, fmt) for n, *_ in segments(conv)}
        assert spoken <= {expected_speaker(n, fmt) for n in live}
        assert expected_speaker("Marcus Webb", fmt) not in spoken

    # The first segment of the appended recording sits after the first recording (0.717 s
    # into the SRT file), in every format.
    again = reimported(ws, conv, fmt)
    first_appended = min(
        start for _, start, _, _ in segments(again, fmt) if start >= part2.time_offset
    )
    assert first_appended == pytest.approx(part2.time_offset + 0.717, abs=TOLERANCE[fmt])
    assert_round_trip(conv, again, fmt)


@pytest.mark.parametrize("path", REAL_RTTM, ids=lambda p: p.stem)
def test_real_rttm_round_trips_with_renamed_speakers(ws, real_data, path):
    data = path.read_bytes()
    conv = file_import(workspace=ws, data=data, source_name=path.name).conversation
    # Name each speaker after its RTTM label: the export must give back the original file.
    for member in conv.members.all():
        member_rename(member=member, name=f"{member.vendor_label} Real")
    out = export_text(conv, "rttm")

    original = rttm_format.parse(data)
    exported = rttm_format.parse(out)
    assert len(exported.utterances) == len(original.utterances)
    key = lambda u: (round(u.start * 1000), round(u.end * 1000), u.speaker_label)  # noqa: E731
    assert sorted(key(u) for u in exported.utterances) == sorted(
        (round(u.start * 1000), round(u.end * 1000), f"{u.speaker_label}_Real")
        for u in original.utterances
    )
    file_ids = {RTTM_LINE.match(line).group(1) for line in out.splitlines()}
    assert file_ids == {path.stem}

    for fmt in FORMATS:
        assert_round_trip(conv, reimported(ws, conv, fmt), fmt)


# --- format details ---------------------------------------------------------------------------


def test_rttm_lines_follow_rt09_with_fixed_decimals_and_no_whitespace_in_names(ws):
    conv = factories.conversation(ws, members=2, messages=4)
    member_rename(member=conv.members.get(name="Speaker 1"), name="Jean\tPaul  Sartre")
    Message.objects.filter(conversation=conv, external_id="m1").update(channel=2, start=1.0004)

    lines = export_text(conv, "rttm").splitlines()

    assert len(lines) == 4
    fields = [RTTM_LINE.match(line).groups() for line in lines]
    assert fields[0] == ("Generated", "1", "0.000", "1.800", "Jean_Paul_Sartre")
    assert fields[1] == ("Generated", "2", "1.000", "2.800", "Jean_Paul_Sartre")
    assert all(len(line.split()) == 10 for line in lines)


def test_text_less_segments_export_as_cues_holding_only_the_speaker(ws):
    conv = imported(ws, "customer-call.rttm")
    agent = conv.members.get(vendor_label="spk_agent")
    member_rename(member=agent, name="Agent Smith")

    captions = webvtt.from_string(export_text(conv, "vtt")).captions
    assert len(captions) == conv.messages.count()
    assert all(c.text == "" and c.raw_text == f"<v {c.voice}>" for c in captions)
    assert {c.voice for c in captions} == {"Agent Smith", "Speaker 2", "Speaker 3"}

    cues = list(srt.parse(export_text(conv, "srt")))
    assert len(cues) == conv.messages.count()
    assert {c.content for c in cues} == {"Agent Smith:", "Speaker 2:", "Speaker 3:"}
    assert [c.index for c in cues] == list(range(1, len(cues) + 1))

    again = reimported(ws, conv, "srt")
    assert set(again.messages.values_list("text", flat=True)) == {""}


def test_vtt_escapes_text_and_reads_back_with_webvtt_py(ws):
    conv = factories.conversation(ws, members=1, messages=2)
    Message.objects.filter(conversation=conv, external_id="m0").update(
        text="if a < b && c > d --> then\n\nstop"
    )
    out = export_text(conv, "vtt")

    assert out.startswith("WEBVTT - Generated\n\n00:00:00.000 --> 00:00:01.800\n")
    first = webvtt.from_string(out).captions[0]
    assert first.raw_text == "<v Speaker 1>if a &lt; b &amp;&amp; c &gt; d --&gt; then stop"
    again = reimported(ws, conv, "vtt")
    assert again.messages.order_by("start")[0].text == "if a < b && c > d --> then stop"


@pytest.mark.parametrize(
    ("name", "prefix"),
    [
        ("Priya Natarajan", "Priya Natarajan:"),
        ("Dr. O'Neil", "Dr. O'Neil:"),
        ("de Souza", "[de Souza]:"),
        ("Ann (PM)", "[Ann (PM)]:"),
        ("A: B", "[A: B]:"),
        ("one two three four five", "[one two three four five]:"),
        (r"x]\y", r"[x\]\\y]:"),
    ],
)
def test_srt_prefix_uses_the_plain_form_when_it_reads_back(name, prefix):
    assert srt_prefix(name) == prefix


def test_json_export_is_the_symbl_bundle_with_insights(ws):
    conv = imported(ws, "weekly-sync.symbl.json")
    bundle = json.loads(export_text(conv, "json"))
    source = json.loads((SAMPLES / "weekly-sync.symbl.json").read_text())

    assert set(bundle) == {"conversation", "members", "messages", "insights"}
    assert bundle["conversation"]["name"] == "Weekly product sync"
    assert bundle["conversation"]["startTime"] == "2026-10-05T09:00:00.000Z"
    assert [m["id"] for m in bundle["messages"]] == [m["id"] for m in source["messages"]]
    first = bundle["messages"][0]
    assert first["startTime"] == "2026-10-05T09:00:01.880Z"
    assert first["timeOffset"] == 1.88 and first["duration"] == pytest.approx(5.14)
    assert first["from"] == {
        "id": str(conv.members.get(name="Priya Natarajan").uuid),
        "name": "Priya Natarajan",
        "email": "priya@example.com",
    }
    assert {i["id"] for i in bundle["insights"]} == {i["id"] for i in source["insights"]}

    again = reimported(ws, conv, "json")

    def insights(c):
        return sorted(
            (
                i.external_id,
                i.type,
                i.text,
                i.score,
                i.from_member.name if i.from_member else None,
                i.assignee.name if i.assignee else None,
                tuple(sorted(i.messages.values_list("external_id", flat=True))),
                json.dumps(i.phrases),
                json.dumps(i.entities),
                i.definitive,
                i.due_by,
            )
            for i in Insight.objects.filter(conversation=c).select_related(
                "from_member", "assignee"
            )
        )

    assert insights(again) == insights(conv)
    assert [(m.name, m.email) for m in again.members.order_by("position")] == [
        (m.name, m.email) for m in conv.members.order_by("position")
    ]


def test_export_streams_in_chunks_and_names_the_file(ws):
    conv = factories.conversation(ws, members=3, messages=3000, title="Board meeting: Q3")
    export = conversation_export(conversation=conv, format="srt")

    assert export.filename == "board-meeting-q3.srt"
    assert export.content_type == "application/x-subrip; charset=utf-8"
    chunks = list(export.chunks)
    assert len(chunks) > 1
    assert len(list(srt.parse(io.StringIO("".join(chunks)).read()))) == 3000


def test_unknown_format_is_refused(ws):
    conv = factories.conversation(ws, messages=1)
    with pytest.raises(UnknownExportFormat, match="'docx'"):
        conversation_export(conversation=conv, format="docx")


@pytest.mark.parametrize(
    "name",
    ["<i>Bo</i>", "{\\an8}Top", ">>Bob", "Bob:", "  Ann \n Lee ", "&amp;", "x]: y", "Ünal Çelik"],
)
@pytest.mark.parametrize("fmt", FORMATS)
def test_awkward_names_round_trip(ws, fmt, name):
    conv = factories.conversation(ws, members=2, messages=6)
    Member.objects.filter(conversation=conv, position=0).update(name=name)

    assert_round_trip(conv, reimported(ws, conv, fmt), fmt)
