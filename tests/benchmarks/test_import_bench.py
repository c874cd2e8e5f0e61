"""File import at scale: a 20,000-utterance RTTM file and a 20,000-message Symbl JSON bundle.

For each file: the parse alone (``providers.formats.parse``, format detected as an upload
would be), the database import alone (``transcript_import`` of the parsed transcript, with
the ``ANALYZE`` it runs after commit on PostgreSQL timed apart), the whole ``file_import``
from bytes (target under 2 s), a re-import of the same bytes into the same conversation (must
create nothing), and the peak Python memory of one import. The baseline is the same message
rows written with nothing around them (``COPY`` on PostgreSQL, one ``executemany`` on
SQLite, one committed transaction), measured in the same rounds: the import's throughput is
compared to it (PostgreSQL target: at least 20,000 utterances/s and at most 1.5 times the
raw ``COPY``).

Run on demand (see README.md)::

    .venv/bin/python -m pytest tests/benchmarks -s -p no:cacheprovider -o addopts=""
"""

from __future__ import annotations

import gc
import hashlib
import json
import time
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.db import connection, transaction

from diarization_portal.conversations.models import (
    Conversation,
    Insight,
    Job,
    JobKind,
    JobState,
    Member,
    Message,
)
from diarization_portal.conversations.services import imports
from diarization_portal.conversations.services.imports import file_import, transcript_import
from providers.formats import parse
from tests import factories

from ._helpers import median, report

pytestmark = pytest.mark.benchmark

UTTERANCES = 20_000
SPEAKERS = 4
SYMBL_INSIGHTS = 200
ROUNDS = 5
TARGET_S = 2.0
# PostgreSQL targets of the COPY import: utterances per second of ``transcript_import``, and
# its time over a raw COPY of the same rows.
TARGET_RATE = 20_000
TARGET_RATIO = 1.5
SENTENCE = (
    "so I think we should move the release to next week because the customer asked for "
    "more time to test the new dashboard and the billing export"
)
WORDS = SENTENCE.split(" ")


def _text(i: int) -> str:
    n = 6 + i % 12
    return " ".join(WORDS[(i + k) % len(WORDS)] for k in range(n)).capitalize() + "."


def _turns(n: int):
    """``(index, speaker index, start, duration)`` for ``n`` back-to-back turns."""
    t = 0.0
    for i in range(n):
        duration = 1.0 + (i * 7 % 13) / 4  # 1.0 .. 4.0 s
        yield i, (i // 2) % SPEAKERS, round(t, 3), round(duration, 3)
        t += duration + 0.15


def make_rttm(path: Path, utterances: int = UTTERANCES) -> Path:
    lines = [
        f"SPEAKER bench 1 {start:.3f} {duration:.3f} <NA> <NA> spk{who:02d} <NA> <NA>"
        for _, who, start, duration in _turns(utterances)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def make_symbl(path: Path) -> Path:
    """A Symbl bundle: conversation, members, messages (with ISO times as the API sends them,
    without per-word timings) and action items / questions tied to messages."""
    base = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)
    conv_id = "5815170693595136"
    people = [
        {
            "id": str(uuid.UUID(int=1000 + k)),
            "name": f"Person {k + 1}",
            "email": f"person{k + 1}@example.com",
        }
        for k in range(SPEAKERS)
    ]

    def iso(seconds: float) -> str:
        return (
            (base + timedelta(seconds=seconds))
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z")
        )

    messages = [
        {
            "id": f"msg-{i:06d}",
            "text": _text(i),
            "from": people[who],
            "startTime": iso(start),
            "endTime": iso(start + duration),
            "timeOffset": start,
            "duration": duration,
            "conversationId": conv_id,
            "phrases": [],
            "sentiment": {"polarity": {"score": 0.1}, "suggested": "neutral"},
        }
        for i, who, start, duration in _turns(UTTERANCES)
    ]
    step = UTTERANCES // SYMBL_INSIGHTS
    insights = [
        {
            "id": f"ins-{j:05d}",
            "type": ("action_item", "question", "follow_up")[j % 3],
            "text": f"Follow up on item {j}",
            "score": 0.9,
            "from": messages[j * step]["from"],
            "assignee": people[(j + 1) % SPEAKERS],
            "messageIds": [messages[j * step]["id"], messages[j * step + 1]["id"]],
            "phrases": [],
            "entities": [],
        }
        for j in range(SYMBL_INSIGHTS)
    ]
    bundle = {
        "conversation": {
            "id": conv_id,
            "type": "meeting",
            "name": "Benchmark meeting",
            "startTime": iso(0),
        },
        "members": people,
        "messages": messages,
        "insights": insights,
    }
    path.write_text(json.dumps(bundle), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("import-bench")
    return {
        "rttm": make_rttm(folder / "bench-20k.rttm"),
        "symbl": make_symbl(folder / "bench-20k.json"),
    }


def _expected(fmt: str) -> tuple[int, int, int]:
    return SPEAKERS, UTTERANCES, SYMBL_INSIGHTS if fmt == "symbl" else 0


def _counts(conversation) -> tuple[int, int, int]:
    return (
        Member.objects.filter(conversation=conversation).count(),
        Message.objects.filter(conversation=conversation).count(),
        Insight.objects.filter(conversation=conversation).count(),
    )


def _raw_rows(transcript, ws, prefix: str) -> list[tuple]:
    """The message rows ``transcript_import`` writes for ``transcript`` (same columns, texts,
    ids and times), for a new conversation with its members and job made here, untimed."""
    conversation = Conversation.objects.create(workspace=ws, title="Raw baseline")
    job = Job.objects.create(conversation=conversation, kind=JobKind.IMPORT, state=JobState.DONE)
    members = Member.objects.bulk_create(
        Member(
            conversation=conversation,
            vendor_label=speaker.label,
            channel=speaker.channel,
            name=f"Speaker {position + 1}",
            position=position,
        )
        for position, speaker in enumerate(transcript.speakers)
    )
    pk = {(m.vendor_label, m.channel): m.pk for m in members}
    return [
        (
            conversation.pk,
            (utt.external_id or f"{prefix}-{index}")[:200],
            pk[utt.speaker_label, utt.channel],
            pk[utt.speaker_label, utt.channel],
            utt.text,
            utt.start,
            utt.end,
            utt.channel,
            job.pk,
        )
        for index, utt in enumerate(transcript.utterances)
    ]


def _raw_insert(rows: list[tuple]) -> str:
    """Write ``rows`` into the message table with nothing around them, in one committed
    transaction: ``COPY … FROM STDIN`` on PostgreSQL, one ``executemany`` on SQLite. Returns
    the method."""
    meta, quote = Message._meta, connection.ops.quote_name
    table = quote(meta.db_table)
    names = [quote(meta.get_field(name).column) for name in imports._MESSAGE_COLUMNS]
    columns = ", ".join(names)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return "copy"
        marks = ", ".join(["%s"] * len(names))
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
        return "executemany"


@pytest.fixture
def analyze_timer(monkeypatch) -> list[float]:
    """Seconds of each ``ANALYZE`` the import runs after its commit (PostgreSQL only)."""
    timings: list[float] = []
    analyze = imports._analyze

    def timed(tables):
        started = time.perf_counter()
        analyze(tables)
        timings.append(time.perf_counter() - started)

    monkeypatch.setattr(imports, "_analyze", timed)
    return timings


@pytest.mark.parametrize("fmt", ["rttm", "symbl"])
def test_import_20k_utterances(bench_db, files, fmt, analyze_timer):
    path = files[fmt]
    data = path.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    ws = factories.workspace()
    parse_s, explicit_s, db_s, analyze_s, total_s, reimport_s, raw_s = ([] for _ in range(7))
    method = ""
    for _ in range(ROUNDS):
        # 1. The parse alone, with the format detected from the content as file_import does.
        gc.collect()
        started = time.perf_counter()
        transcript = parse(data, filename=path.name)
        parse_s.append(time.perf_counter() - started)
        assert len(transcript.utterances) == UTTERANCES

        gc.collect()
        started = time.perf_counter()
        parse(data, format=fmt, filename=path.name)
        explicit_s.append(time.perf_counter() - started)

        # 2. The database import alone, from the parsed transcript (a new conversation),
        #    with the ANALYZE it runs after commit (PostgreSQL) timed apart.
        analyze_timer.clear()
        gc.collect()
        started = time.perf_counter()
        result = transcript_import(
            workspace=ws, transcript=transcript, source_name=path.name, sha256=sha256
        )
        db_s.append(time.perf_counter() - started)
        analyze_s.append(sum(analyze_timer))
        assert _counts(result.conversation) == _expected(fmt)
        assert len(analyze_timer) == (1 if connection.vendor == "postgresql" else 0)

        # 3. The baseline: the same message rows, raw, into a new conversation.
        rows = _raw_rows(transcript, ws, sha256[:12])
        gc.collect()
        started = time.perf_counter()
        method = _raw_insert(rows)
        raw_s.append(time.perf_counter() - started)
        del rows

        # 4. The whole file_import from bytes (a new conversation).
        del transcript
        gc.collect()
        started = time.perf_counter()
        result = file_import(workspace=ws, data=data, source_name=path.name)
        total_s.append(time.perf_counter() - started)
        assert _counts(result.conversation) == _expected(fmt)
        assert result.created == dict(
            zip(("members", "messages", "insights"), _expected(fmt), strict=True)
        )

        # 5. The same bytes again into the same conversation: nothing changes.
        gc.collect()
        started = time.perf_counter()
        again = file_import(
            workspace=ws, data=data, source_name=path.name, into=result.conversation
        )
        reimport_s.append(time.perf_counter() - started)
        assert again.created == {"members": 0, "messages": 0, "insights": 0}
        assert again.job.pk == result.job.pk
        assert _counts(result.conversation) == _expected(fmt)

    size_mb = len(data) / 1e6
    db, raw, analyze = median(db_s), median(raw_s), median(analyze_s)
    writes = median([d - a for d, a in zip(db_s, analyze_s, strict=True)])
    report(
        f"BENCH import_{fmt}_20k_s total={median(total_s):.3f} parse={median(parse_s):.3f} "
        f"db={db:.3f} (of which analyze={analyze:.3f}) reimport={median(reimport_s):.3f} "
        f"(median of {ROUNDS}; max total={max(total_s):.3f}; file={size_mb:.1f} MB)"
    )
    report(
        f"BENCH parse_{fmt}_20k_s auto={median(parse_s):.3f} "
        f"explicit_format={median(explicit_s):.3f}"
    )
    report(
        f"BENCH raw_insert_{fmt}_20k_s median={raw:.3f} max={max(raw_s):.3f} method={method} "
        f"(the import's {UTTERANCES} message rows alone, one committed transaction)"
    )
    report(
        f"BENCH import_{fmt}_20k_vs_raw ratio={db / raw:.2f} "
        f"ratio_without_analyze={writes / raw:.2f} "
        f"utterances_per_s db={UTTERANCES / db:.0f} db_without_analyze={UTTERANCES / writes:.0f} "
        f"raw={UTTERANCES / raw:.0f}"
    )
    assert median(total_s) < TARGET_S, (
        f"{fmt} import of {UTTERANCES} utterances took {median(total_s):.2f} s "
        f"(target {TARGET_S} s; parse {median(parse_s):.2f} s, database {db:.2f} s)"
    )
    assert median(reimport_s) < TARGET_S, f"{fmt} re-import took {median(reimport_s):.2f} s"
    if connection.vendor == "postgresql":
        assert UTTERANCES / writes >= TARGET_RATE, (
            f"{fmt} import wrote {UTTERANCES / writes:.0f} utterances/s "
            f"(target {TARGET_RATE}; raw COPY {UTTERANCES / raw:.0f}/s)"
        )
        assert writes / raw <= TARGET_RATIO, (
            f"{fmt} import took {writes / raw:.2f} times a raw COPY (target {TARGET_RATIO})"
        )


@pytest.mark.parametrize("fmt", ["rttm", "symbl"])
def test_import_20k_peak_memory(bench_db, files, fmt):
    """Peak of Python allocations (tracemalloc) during one ``file_import`` from bytes.

    The database's own memory (SQLite's page cache, the PostgreSQL server) is not counted.
    """
    path = files[fmt]
    data = path.read_bytes()
    ws = factories.workspace()
    gc.collect()
    tracemalloc.start()
    try:
        result = file_import(workspace=ws, data=data, source_name=path.name)
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert _counts(result.conversation) == _expected(fmt)
    peak_mb = peak / 2**20
    report(
        f"BENCH import_{fmt}_20k_peak_mb peak={peak_mb:.1f} retained={current / 2**20:.1f} "
        f"file={len(data) / 2**20:.1f}"
    )
    # No target set; a loose guard against a regression that copies rows many times.
    assert peak_mb < 256
