"""Many speaker operations on one conversation at once, for a bounded time: threads calling
the services, and threads sending the same operations to the REST API of a live server.

Each of :data:`THREADS` threads draws operations at random (rename, rename with another
speaker's email, merge, reassign, split, undo of a recent edit) from what the conversation
reads at that moment, for :data:`SECONDS` seconds. Afterwards: DESIGN §2 invariants 2 and 3
hold (every message, insight ``from`` and ``assignee`` on a live member of the conversation;
message and insight counts unchanged), no call failed other than as a refused speaker
operation (no 500, no deadlock, no database error), and undoing every active edit newest
first gives back the member of every message, the ``from`` and ``assignee`` of every
insight and every member row as imported.

A longer soak: ``SPEAKER_RACE_SECONDS=60 pytest tests/conversations/test_speakers_concurrency.py
-s`` (``SPEAKER_RACE_THREADS`` sets the number of threads). The counts per operation
(attempted, succeeded, refused, of which lost races) are printed.
"""

from __future__ import annotations

import itertools
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable

import pytest
import requests
from django.db import connection
from django.urls import reverse

from diarization_portal.api.services import api_key_create
from diarization_portal.conversations.models import Insight, Member, Message, SpeakerEdit
from diarization_portal.conversations.services.speakers import (
    ConcurrentEdit,
    SpeakerOperationError,
    edit_undo,
    member_merge,
    member_rename,
    messages_reassign,
    messages_split,
)
from tests import factories

from .test_speakers_races import Watch

pytestmark = pytest.mark.django_db(transaction=True)

SECONDS = float(os.environ.get("SPEAKER_RACE_SECONDS", "10"))
THREADS = int(os.environ.get("SPEAKER_RACE_THREADS", "8"))
#: Operations and how often each is drawn.
WEIGHTS = {"rename": 2, "rename_email": 1, "merge": 2, "reassign": 3, "split": 1, "undo": 4}
_unique = itertools.count(1)


@pytest.fixture
def conv():
    """Six speakers over 200 messages and 200 insights (every third tied to two lines);
    three speakers have an email."""
    ws = factories.workspace()
    conv = factories.conversation(ws, members=6, messages=200, insights=200)
    for i, member in enumerate(Member.objects.filter(conversation=conv).order_by("pk")[:3]):
        Member.objects.filter(pk=member.pk).update(email=f"speaker{i + 1}@example.com")
    lines = list(Message.objects.filter(conversation=conv).order_by("pk"))
    for j, insight in enumerate(Insight.objects.filter(conversation=conv).order_by("pk")):
        if j % 3 == 0:
            insight.messages.add(lines[(j * 7 + 11) % len(lines)])
    return conv


def draw(rng: random.Random, conv) -> tuple[str, dict] | None:
    """One operation and its arguments, from what ``conv`` reads now (as a person looking at
    the page would pick it); ``None`` when there is nothing to draw it from."""
    op = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
    live = list(Member.objects.live().filter(conversation=conv).order_by("pk"))
    lines = list(Message.objects.filter(conversation=conv).values_list("pk", flat=True))
    if op == "rename":
        email = rng.choice([None, f"person{next(_unique)}@example.com"])
        return op, {"member": rng.choice(live), "name": f"Person {next(_unique)}", "email": email}
    if op == "rename_email":
        holders = [m for m in live if m.email]
        if len(live) < 2 or not holders:
            return None
        holder = rng.choice(holders)
        member = rng.choice([m for m in live if m.pk != holder.pk])
        return op, {"member": member, "name": f"Person {next(_unique)}", "email": holder.email}
    if op == "merge":
        if len(live) < 2:
            return None
        source, target = rng.sample(live, 2)
        return op, {"source": source, "target": target}
    if op == "reassign":
        return op, {"messages": rng.sample(lines, rng.randint(1, 5)), "member": rng.choice(live)}
    if op == "split":
        return op, {"messages": rng.sample(lines, rng.randint(1, 3)), "name": "New speaker"}
    recent = list(
        SpeakerEdit.objects.filter(conversation=conv, undone_at__isnull=True).order_by("-pk")[:4]
    )
    return (op, {"edit": rng.choice(recent)}) if recent else None


def by_service(op: str, args: dict, conv) -> str:
    """Run ``op`` through the services: ``"ok"``, ``"conflict"`` (lost race) or
    ``"refused"``; anything else raises."""
    calls: dict[str, Callable[[], object]] = {
        "rename": lambda: member_rename(**args),
        "rename_email": lambda: member_rename(**args),
        "merge": lambda: member_merge(**args),
        "reassign": lambda: messages_reassign(**args),
        "split": lambda: messages_split(conversation=conv, **args),
        "undo": lambda: edit_undo(**args),
    }
    try:
        calls[op]()
    except ConcurrentEdit:
        return "conflict"
    except SpeakerOperationError:
        return "refused"
    return "ok"


class ByApi:
    """Run operations through the REST API of ``base`` with its own API key (so the
    per-key request rate is the thread's own)."""

    def __init__(self, base: str, user):
        _key, raw = api_key_create(user=user, name=f"race {next(_unique)}")
        self.base = base
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {raw}"

    def __call__(self, op: str, args: dict, conv) -> str:
        pk = conv.pk
        if op in ("rename", "rename_email"):
            member = args["member"]
            body = {"id": str(member.uuid), "name": args["name"]}
            if args["email"] is not None:
                body["email"] = args["email"]
            reply = self.http.put(
                self.base + reverse("api:member_detail", args=[pk, member.uuid]), json=body
            )
        elif op == "merge":
            reply = self.http.post(
                self.base + reverse("api:member_merge", args=[pk, args["source"].uuid]),
                json={"targetId": str(args["target"].uuid)},
            )
        elif op == "reassign":
            reply = self.http.post(
                self.base + reverse("api:messages_reassign", args=[pk]),
                json={
                    "messageIds": [str(i) for i in args["messages"]],
                    "memberId": str(args["member"].uuid),
                },
            )
        elif op == "split":
            reply = self.http.post(
                self.base + reverse("api:messages_split", args=[pk]),
                json={"messageIds": [str(i) for i in args["messages"]], "name": args["name"]},
            )
        else:
            reply = self.http.post(self.base + reverse("api:edit_undo", args=[pk, args["edit"].pk]))
        if reply.status_code < 300:
            return "ok"
        kind = reply.json().get("type")
        if reply.status_code == 409 and kind == "conflict":
            # an undo a later edit blocks (it lists them) or a lost race
            return "refused" if "blockingEdits" in reply.json() else "conflict"
        # refused; validation_error: a member an undo of its split deleted since it was drawn
        refusals = ("invalid_operation", "not_found", "validation_error")
        if reply.status_code in (400, 404) and kind in refusals:
            return "refused"
        raise AssertionError(f"{op}: {reply.status_code} {reply.text[:500]}")


def hammer(conv, run: Callable[[str, dict, object], str], label: str) -> Counter:
    """:data:`THREADS` threads drawing and running operations for :data:`SECONDS` seconds.
    Returns counts ``(op, "attempted" | "ok" | "refused" | "conflict")`` and prints them;
    fails with every unexpected error met."""
    deadline = time.monotonic() + SECONDS
    counts: Counter = Counter()
    errors: list[str] = []
    lock = threading.Lock()

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        mine: Counter = Counter()
        try:
            while time.monotonic() < deadline and len(errors) < 10:
                drawn = draw(rng, conv)
                if drawn is None:
                    continue
                op, args = drawn
                mine[op, "attempted"] += 1
                try:
                    mine[op, run(op, args, conv)] += 1
                except Exception as exc:  # every one is a finding
                    with lock:
                        errors.append(f"{op}: {exc!r}"[:600])
        finally:
            connection.close()
            with lock:
                counts.update(mine)

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(SECONDS + 120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    report(label, counts)
    assert errors == [], errors
    return counts


def report(label: str, counts: Counter) -> None:
    print(f"\n{label}: {THREADS} threads for {SECONDS:g} s ({connection.vendor})")
    print(f"  {'operation':<13}{'attempted':>10}{'succeeded':>10}{'refused':>9}{'lost race':>10}")
    for op in [*WEIGHTS, "total"]:

        def n(kind: str, op=op) -> int:
            if op == "total":
                return sum(v for (_, k), v in counts.items() if k == kind)
            return counts[op, kind]

        refused = n("refused") + n("conflict")
        print(f"  {op:<13}{n('attempted'):>10}{n('ok'):>10}{refused:>9}{n('conflict'):>10}")


def test_concurrent_speaker_operations_through_the_services(conv):
    watch = Watch(conv)
    counts = hammer(conv, by_service, "services")
    assert sum(v for (_, k), v in counts.items() if k == "ok") > 0
    print(f"  undone afterwards, newest first: {watch.undo_everything(check_each=False)}")


def test_concurrent_speaker_operations_through_the_api(conv, live_server, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": "100000/minute"},
    }
    editor = factories.user(conv.workspace)
    watch = Watch(conv)
    clients = iter([ByApi(live_server.url, editor) for _ in range(THREADS)])
    local = threading.local()

    def run(op: str, args: dict, conv) -> str:
        if not hasattr(local, "client"):
            local.client = next(clients)
        return local.client(op, args, conv)

    counts = hammer(conv, run, "REST API")
    assert sum(v for (_, k), v in counts.items() if k == "ok") > 0
    print(f"  undone afterwards, newest first: {watch.undo_everything(check_each=False)}")
