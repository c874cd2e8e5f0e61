"""Planner statistics after a large import: the conversation page and the messages API of a
100,000-utterance conversation right after its import, without and with ``ANALYZE``.

The table first holds four 25,000-message conversations and fresh statistics (``ANALYZE``), as
a long-lived database would: the planner knows those conversations and nothing else. Then:

1. a 100,000-utterance RTTM file is imported with the import's ``ANALYZE`` turned off
   (``ANALYZE_ROWS`` out of reach), and its page and messages API are timed: the planner still
   believes the new conversation has almost no messages (``without``);
2. the same file is imported again as another conversation with the default threshold
   (PostgreSQL: the import runs ``ANALYZE`` after its commit; SQLite: the import runs nothing,
   so the benchmark runs SQLite's ``ANALYZE`` itself to show what it would change), and the
   new conversation is timed (``with``), then the first one again
   (``same_conversation_analyzed``: the same rows as ``without``, fresh statistics).

Autovacuum is turned off for the message tables of the benchmark database while this module
runs, so that no background ANALYZE refreshes the statistics between the two measurements.

Run on demand (see README.md)::

    .venv/bin/python -m pytest tests/benchmarks/test_analyze_bench.py -s -p no:cacheprovider \\
        -o addopts=""
"""

from __future__ import annotations

import gc
import time

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from diarization_portal.conversations.models import Insight, Message
from diarization_portal.conversations.services import imports
from diarization_portal.conversations.services.imports import file_import
from tests import factories

from ._helpers import median, report
from .test_import_bench import make_rttm

pytestmark = pytest.mark.benchmark

BACKGROUND_CONVERSATIONS = 4
BACKGROUND_MESSAGES = 25_000
IMPORTED = 100_000
REQUESTS = 7
API_LIMIT = 100


@pytest.fixture(scope="module")
def setting(django_db_setup, django_db_blocker, tmp_path_factory):
    """A workspace with an editor, four background conversations with fresh statistics, the
    100,000-utterance RTTM file, and autovacuum off on the message tables meanwhile."""
    tables = [Message._meta.db_table, Insight.messages.through._meta.db_table]
    postgresql = connection.vendor == "postgresql"
    quote = connection.ops.quote_name
    with django_db_blocker.unblock():
        ws = factories.workspace()
        user = factories.user(ws)
        for n in range(BACKGROUND_CONVERSATIONS):
            factories.conversation(
                ws, members=4, messages=BACKGROUND_MESSAGES, title=f"Background {n}"
            )
        with connection.cursor() as cursor:
            if postgresql:
                for table in tables:
                    cursor.execute(f"ALTER TABLE {quote(table)} SET (autovacuum_enabled = false)")
            cursor.execute("ANALYZE")
    path = make_rttm(tmp_path_factory.mktemp("analyze-bench") / "bench-100k.rttm", IMPORTED)
    yield ws, user, path.read_bytes()
    if postgresql:
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"ALTER TABLE {quote(table)} RESET (autovacuum_enabled)")


def _timed_requests(client: Client, url: str) -> tuple[float, float]:
    """Median milliseconds of ``REQUESTS`` GETs of ``url`` (after one warm-up), and the median
    of the SQL time (the sum of the queries' times) in each."""
    assert client.get(url).status_code == 200
    totals, sql = [], []
    for _ in range(REQUESTS):
        gc.collect()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            totals.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content[:200]
        sql.append(sum(float(q["time"]) for q in queries.captured_queries) * 1000)
    return median(totals), median(sql)


def _measure(client: Client, conversation) -> dict[str, tuple[float, float]]:
    page = reverse("dashboard:conversation_detail", args=[conversation.pk])
    api = reverse("api:message_list", args=[conversation.pk]) + f"?limit={API_LIMIT}"
    return {"page": _timed_requests(client, page), "api": _timed_requests(client, api)}


def test_page_and_api_right_after_a_100k_import_without_and_with_analyze(
    bench_db, setting, monkeypatch
):
    ws, user, data = setting
    client = Client()
    client.force_login(user)
    analyzed: list[float] = []
    analyze = imports._analyze

    def timed_analyze(tables):
        started = time.perf_counter()
        analyze(tables)
        analyzed.append(time.perf_counter() - started)

    monkeypatch.setattr(imports, "_analyze", timed_analyze)

    # 1. Without: the import's ANALYZE is out of reach.
    monkeypatch.setattr(imports, "ANALYZE_ROWS", IMPORTED + 1)
    gc.collect()
    started = time.perf_counter()
    stale = file_import(workspace=ws, data=data, source_name="bench-100k.rttm")
    import_without_s = time.perf_counter() - started
    assert stale.created["messages"] == IMPORTED and analyzed == []
    without = _measure(client, stale.conversation)

    # 2. With: the default threshold; the import analyzes after its commit on PostgreSQL.
    monkeypatch.setattr(imports, "ANALYZE_ROWS", 10_000)
    gc.collect()
    started = time.perf_counter()
    fresh = file_import(workspace=ws, data=data, source_name="bench-100k.rttm")
    import_with_s = time.perf_counter() - started
    assert fresh.created["messages"] == IMPORTED
    if connection.vendor == "postgresql":
        assert len(analyzed) == 1, "the import did not ANALYZE"
        analyze_s, by = analyzed[0], "the import"
    else:
        assert analyzed == []
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        analyze_s, by = time.perf_counter() - started, "the benchmark (SQLite)"
    with_ = _measure(client, fresh.conversation)
    # The first conversation again, now with fresh statistics: the same rows either side.
    again = _measure(client, stale.conversation)

    for key, what in (("page", "conversation page"), ("api", f"messages API, limit={API_LIMIT}")):
        (w_ms, w_sql), (a_ms, a_sql), (s_ms, s_sql) = without[key], with_[key], again[key]
        report(
            f"BENCH analyze_effect_{key}_ms without={w_ms:.0f} (sql {w_sql:.0f}) "
            f"with={a_ms:.0f} (sql {a_sql:.0f}) same_conversation_analyzed={s_ms:.0f} "
            f"(sql {s_sql:.0f}) ({what} of a {IMPORTED}-message conversation right after its "
            f"import; median of {REQUESTS})"
        )
    report(
        f"BENCH import_rttm_100k_s without_analyze={import_without_s:.2f} "
        f"with_analyze={import_with_s:.2f} analyze={analyze_s:.2f} (ANALYZE run by {by}; "
        f"table of {BACKGROUND_CONVERSATIONS * BACKGROUND_MESSAGES + 2 * IMPORTED} messages)"
    )
