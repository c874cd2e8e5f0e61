"""Speaker operations at scale: rename must not depend on the conversation's size, and a merge
of 50,000 references (and its undo) must stay under a second.

Run on demand (see README.md)::

    .venv/bin/python -m pytest tests/benchmarks -s -p no:cacheprovider -o addopts=""
"""

from __future__ import annotations

import gc
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from diarization_portal.conversations.models import Insight, Member, Message, SpeakerEdit
from diarization_portal.conversations.services.speakers import (
    edit_undo,
    member_merge,
    member_rename,
)
from tests import factories

from ._helpers import median, p95, report

pytestmark = pytest.mark.benchmark

BIG_MESSAGES = 100_000
BIG_INSIGHTS = 5_000
SMALL_MESSAGES = 100
RENAMES = 20
WARMUP = 3
MERGE_ROUNDS = 3
MERGE_TARGET_S = 1.0  # the target for a merge of 50,000 references
# No target is set for undoing a merge; this only guards against a large regression.
UNDO_GUARD_S = 3.0


@pytest.fixture(scope="module")
def conversations(django_db_setup, django_db_blocker):
    """A 100,000-message / 5,000-insight conversation with two speakers (so one of them holds
    about 50,000 messages plus its insight ``from``/``assignee`` references) and a
    100-message one, built once for the module and committed to the benchmark database."""
    with django_db_blocker.unblock():
        ws = factories.workspace()
        started = time.perf_counter()
        big = factories.conversation(
            ws, members=2, messages=BIG_MESSAGES, insights=BIG_INSIGHTS, title="Big"
        )
        built = time.perf_counter() - started
        small = factories.conversation(ws, members=2, messages=SMALL_MESSAGES, title="Small")
        # Fresh statistics for the planner, as a long-lived database would have.
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    report(
        f"BENCH build_100k_conversation_s {built:.2f} "
        f"(messages={BIG_MESSAGES} insights={BIG_INSIGHTS}, factory bulk_create, not a target)"
    )
    return big, small


def _references(member_id: int) -> dict[str, int]:
    return {
        "messages": Message.objects.filter(member_id=member_id).count(),
        "insights_from": Insight.objects.filter(from_member_id=member_id).count(),
        "insights_assignee": Insight.objects.filter(assignee_id=member_id).count(),
    }


def test_rename_does_not_grow_with_conversation_size(bench_db, conversations):
    big_conv, small_conv = conversations
    big = Member.objects.filter(conversation=big_conv).first()
    small = Member.objects.filter(conversation=small_conv).first()
    timings: dict[str, list[float]] = {"big": [], "small": []}
    gc.collect()
    # Interleave the two so that both see the same machine conditions.
    for i in range(WARMUP + RENAMES):
        for key, member in (("big", big), ("small", small)):
            name = f"{key.title()} speaker {i}"
            started = time.perf_counter()
            member_rename(member=member, name=name)
            elapsed_ms = (time.perf_counter() - started) * 1000
            if i >= WARMUP:
                timings[key].append(elapsed_ms)
            assert Member.objects.get(pk=member.pk).name == name
    queries = {}
    for key, member in (("big", big), ("small", small)):
        with CaptureQueriesContext(connection) as ctx:
            member_rename(member=member, name=f"{key} counted")
        queries[key] = len(ctx.captured_queries)

    big_med, small_med = median(timings["big"]), median(timings["small"])
    report(
        f"BENCH rename_100k_ms median={big_med:.2f} p95={p95(timings['big']):.2f} "
        f"n={RENAMES} queries={queries['big']}"
    )
    report(
        f"BENCH rename_100_ms median={small_med:.2f} p95={p95(timings['small']):.2f} "
        f"n={RENAMES} queries={queries['small']}"
    )
    assert queries["big"] == queries["small"], "rename issued a size-dependent number of queries"
    assert big_med <= 3 * small_med + 5, (
        f"rename on 100k messages ({big_med:.2f} ms) is not comparable to 100 messages "
        f"({small_med:.2f} ms)"
    )


def test_merge_of_50k_references_and_undo(bench_db, conversations):
    big_conv, _ = conversations
    source, target = Member.objects.filter(conversation=big_conv).order_by("position")[:2]
    before_source, before_target = _references(source.pk), _references(target.pk)
    refs = sum(before_source.values())
    assert refs >= 50_000, before_source

    merge_s: list[float] = []
    undo_s: list[float] = []
    for _ in range(MERGE_ROUNDS):
        source.refresh_from_db()
        target.refresh_from_db()
        gc.collect()
        started = time.perf_counter()
        edit = member_merge(source=source, target=target)
        merge_s.append(time.perf_counter() - started)

        assert _references(source.pk) == dict.fromkeys(before_source, 0)
        assert Member.objects.get(pk=source.pk).merged_into_id == target.pk
        assert len(edit.payload["messages"]) == before_source["messages"]

        edit = SpeakerEdit.objects.get(pk=edit.pk)  # as the undo view loads it
        gc.collect()
        started = time.perf_counter()
        edit_undo(edit=edit)
        undo_s.append(time.perf_counter() - started)

        assert _references(source.pk) == before_source
        assert _references(target.pk) == before_target
        assert Member.objects.get(pk=source.pk).merged_into_id is None

    detail = " ".join(f"{k}={v}" for k, v in before_source.items())
    report(
        f"BENCH merge_50k_refs_s median={median(merge_s):.3f} max={max(merge_s):.3f} "
        f"first={merge_s[0]:.3f} refs={refs} ({detail}) rounds={MERGE_ROUNDS}"
    )
    report(
        f"BENCH undo_merge_50k_refs_s median={median(undo_s):.3f} max={max(undo_s):.3f} "
        f"first={undo_s[0]:.3f} refs={refs} rounds={MERGE_ROUNDS}"
    )
    assert median(merge_s) < MERGE_TARGET_S, (
        f"merge of {refs} references took {median(merge_s):.2f} s (target {MERGE_TARGET_S} s)"
    )
    assert median(undo_s) < UNDO_GUARD_S, (
        f"undo of a {refs}-reference merge took {median(undo_s):.2f} s"
    )
