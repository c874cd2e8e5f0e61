"""Exports at scale: a 100,000-message conversation (5,000 insights) in WebVTT, SRT, RTTM and
Symbl JSON.

For each format: the time to produce the whole file (every chunk of ``Export.chunks``
consumed, as a streaming response would), the number of SQL queries, the output size and the
peak of Python allocations (``tracemalloc``) while exporting. The same peak is measured on a
10,000-message conversation: streaming means the peak must not grow with the conversation.

Run on demand (see README.md)::

    .venv/bin/python -m pytest tests/benchmarks -s -p no:cacheprovider -o addopts=""
"""

from __future__ import annotations

import gc
import time
import tracemalloc

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from diarization_portal.conversations.services.exports import FORMATS, conversation_export
from tests import factories

from ._helpers import median, report

pytestmark = pytest.mark.benchmark

BIG_MESSAGES = 100_000
BIG_INSIGHTS = 5_000
SMALL_MESSAGES = 10_000
SMALL_INSIGHTS = 500
ROUNDS = 3
# No target set; loose guards against a regression (a whole-file list, N+1 queries).
TIME_GUARD_S = 30.0
PEAK_GUARD_MB = 64.0


@pytest.fixture(scope="module")
def conversations(django_db_setup, django_db_blocker):
    """A 100,000-message and a 10,000-message conversation, four speakers each, committed."""
    with django_db_blocker.unblock():
        ws = factories.workspace()
        started = time.perf_counter()
        big = factories.conversation(
            ws, members=4, messages=BIG_MESSAGES, insights=BIG_INSIGHTS, title="Big export"
        )
        built = time.perf_counter() - started
        small = factories.conversation(
            ws, members=4, messages=SMALL_MESSAGES, insights=SMALL_INSIGHTS, title="Small export"
        )
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    report(f"BENCH build_100k_export_conversation_s {built:.2f} (fixture, not a target)")
    return big, small


def _consume(conversation, fmt: str) -> tuple[int, int, int]:
    """Export and read every chunk; return (characters, chunks, largest chunk)."""
    export = conversation_export(conversation=conversation, format=fmt)
    size = count = largest = 0
    for chunk in export.chunks:
        size += len(chunk)
        count += 1
        largest = max(largest, len(chunk))
    return size, count, largest


def _peak_mb(conversation, fmt: str) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        _consume(conversation, fmt)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_100k_messages(bench_db, conversations, fmt):
    big, small = conversations
    timings = []
    for _ in range(ROUNDS):
        gc.collect()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            size, chunks, largest = _consume(big, fmt)
            timings.append(time.perf_counter() - started)
    peak_big = _peak_mb(big, fmt)
    peak_small = _peak_mb(small, fmt)
    report(
        f"BENCH export_{fmt}_100k_s median={median(timings):.2f} max={max(timings):.2f} "
        f"(n={ROUNDS}) queries={len(queries)} size={size / 2**20:.1f} MB chunks={chunks} "
        f"largest_chunk={largest / 1024:.0f} KB"
    )
    report(
        f"BENCH export_{fmt}_peak_mb 100k={peak_big:.1f} 10k={peak_small:.1f} "
        f"(tracemalloc, Python allocations while exporting)"
    )
    assert len(queries) <= 4, [q["sql"] for q in queries.captured_queries]
    assert median(timings) < TIME_GUARD_S
    assert peak_big < PEAK_GUARD_MB
    # Streaming: ten times the messages must not mean ten times the memory.
    assert peak_big < 2 * peak_small + 4, (peak_big, peak_small)
