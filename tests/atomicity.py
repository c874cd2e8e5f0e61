"""Proving that a write service is atomic: make it fail half-way and check that nothing changed.

pytest-django runs an ordinary test inside a transaction that it rolls back, so a service that
forgot ``@transaction.atomic`` looks fine there: its first writes are undone with the test.
The tests built on this module run with ``django_db(transaction=True)`` (autocommit, as in a
web process or a django-q2 worker) and

* :func:`half_way` runs a service with :class:`HalfWay` raised instead of its second write
  statement (:func:`fail_on_write`), then asserts that every table reads exactly as before
  (:func:`snapshot`, :func:`changes`) and that no task reached the django-q2 queue
  (``transaction.on_commit`` callbacks must not fire on a rollback);
  :func:`every_write_fails` does it for each write in turn, then lets the service succeed;
  :func:`fail_after` makes a service fail right after a call, such as an ``enqueue``;
* :func:`before_lock` runs a write just before a service locks rows, as if another
  transaction had committed it between the service's earlier reads and its lock: a service
  that reads what it records only after taking its locks sees that write.

Both work on SQLite with the ORM broker and on PostgreSQL with Redis (``tests/settings.py``).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from unittest import mock

import pytest
from django.apps import apps
from django.db import connection
from django.db.backends.utils import CursorWrapper
from django.db.models.sql.compiler import SQLCompiler

from tests.broker import queued

#: Apps whose tables a snapshot holds: the portal's, the users and the django-q2 ORM broker's.
SNAPSHOT_APPS = ("auth", "workspaces", "conversations", "sync", "api", "django_q")
_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
_BROKER = "django_q_"


class HalfWay(Exception):
    """The failure injected into a service half-way through its writes."""


def snapshot(ignore: dict[str, set[str]] | None = None) -> dict[str, list[dict]]:
    """Every row of every table of :data:`SNAPSHOT_APPS` (many-to-many tables included), as
    ``{model label: [row values, by primary key]}``, without the columns ``ignore`` names
    (``{"conversations.Job": {"next_check_at"}}``: a lease a job step commits on purpose)."""
    rows = {}
    for label in SNAPSHOT_APPS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            values = list(model._base_manager.order_by("pk").values())
            for name in (ignore or {}).get(model._meta.label, ()):
                for row in values:
                    del row[model._meta.get_field(name).attname]
            rows[model._meta.label] = values
    return rows


def changes(before: dict, after: dict) -> dict[str, dict[str, list]]:
    """What differs between two :func:`snapshot` results: ``{model label: {"before": rows
    only in before, "after": rows only in after}}``; empty when nothing changed."""
    diff = {}
    for label in before.keys() | after.keys():
        old, new = before.get(label, []), after.get(label, [])
        if old != new:
            diff[label] = {
                "before": [row for row in old if row not in new],
                "after": [row for row in new if row not in old],
            }
    return diff


@contextmanager
def fail_on_write(nth: int = 2) -> Iterator[list[str]]:
    """Raise :class:`HalfWay` instead of running the ``nth`` write statement (INSERT, UPDATE,
    DELETE or PostgreSQL's COPY FROM STDIN) on the default connection. Savepoints, reads and
    the django-q2 ORM broker's own rows (the queue, checked apart) are not counted. Yields the
    list of write statements met, the refused one last."""
    writes: list[str] = []

    def count(sql: str) -> None:
        writes.append(sql)
        if len(writes) == nth:
            raise HalfWay(f"write {nth} refused: {sql[:300]}")

    def refuse(execute, sql, params, many, context):
        if _WRITE.match(sql) and _BROKER not in sql:
            count(sql)
        return execute(sql, params, many, context)

    def copy(cursor: CursorWrapper, statement, *args, **kwargs):
        """psycopg's ``cursor.copy()`` (the imports' ``COPY … FROM STDIN`` on PostgreSQL),
        which Django passes through without its execute wrappers."""
        count(str(statement))
        return cursor.cursor.copy(statement, *args, **kwargs)

    with (
        connection.execute_wrapper(refuse),
        mock.patch.object(CursorWrapper, "copy", copy, create=True),
    ):
        yield writes


@contextmanager
def nothing_changes(ignore: dict[str, set[str]] | None = None) -> Iterator[None]:
    """Assert that the block leaves every table as it was (but the columns ``ignore`` names,
    see :func:`snapshot`) and that no task was added to the django-q2 queue."""
    before, waiting = snapshot(ignore), queued()
    yield
    assert changes(before, snapshot(ignore)) == {}
    assert queued() == waiting


def half_way(
    call: Callable[[], object], *, nth: int = 2, ignore: dict[str, set[str]] | None = None
) -> list[str]:
    """Run ``call()`` with its ``nth`` write refused (:func:`fail_on_write`) and assert that
    :class:`HalfWay` came out of it, that every table reads as before and that the django-q2
    queue holds nothing new (:func:`nothing_changes`). Returns the write statements met, the
    refused one last."""
    with nothing_changes(ignore), pytest.raises(HalfWay), fail_on_write(nth) as writes:
        call()
    assert len(writes) == nth, f"only {len(writes)} writes: {writes}"
    return writes


def every_write_fails(
    call: Callable[[], object],
    *,
    ignore: dict[str, set[str]] | None = None,
    before_each: Callable[[], object] | None = None,
) -> object:
    """:func:`half_way` with the 2nd write of ``call()`` refused, then the 3rd, and so on
    until ``call()`` makes fewer writes than the one to refuse: that last run succeeds and
    its result is returned. ``before_each()`` runs before every run (e.g. to make a job due
    again). Asserts that ``call()`` made at least two writes."""
    for nth in itertools.count(2):
        if before_each is not None:
            before_each()
        before, waiting = snapshot(ignore), queued()
        with fail_on_write(nth) as writes:
            try:
                result = call()
            except HalfWay:
                assert changes(before, snapshot(ignore)) == {}, f"after {writes[:-1]}"
                assert queued() == waiting, f"after {writes[:-1]}"
                continue
        assert nth > 2, f"a single write, nothing can fail half-way: {writes}"
        return result
    raise AssertionError("unreachable")


@contextmanager
def fail_after(owner, name: str, *, nth: int = 1) -> Iterator[list[tuple]]:
    """Replace ``owner.name`` (a function a service calls, e.g. a module's ``enqueue``) by
    one that runs it, then raises :class:`HalfWay` after its ``nth`` call. Yields the list
    of the calls' arguments."""
    original = getattr(owner, name)
    calls: list[tuple] = []

    def run_then_fail(*args, **kwargs):
        result = original(*args, **kwargs)
        calls.append(args)
        if len(calls) == nth:
            raise HalfWay(f"failed after {name}{args}")
        return result

    with mock.patch.object(owner, name, run_then_fail):
        yield calls


@contextmanager
def before_lock(model, action: Callable[[], object], *, nth: int = 1) -> Iterator[list[str]]:
    """Run ``action()`` just before the ``nth`` row lock (``select_for_update``) of ``model``'s
    table is taken, in the same transaction: as if another transaction had committed that
    write while the service was between its earlier reads and its lock. SQLite leaves
    ``FOR UPDATE`` out of the SQL, so the lock is recognised by its query, not by its text.
    Yields the list of the model's locks met (their SQL), for a test to assert they happened.
    """
    locks: list[str] = []
    original = SQLCompiler.execute_sql
    acting = False

    def execute_sql(self, *args, **kwargs):
        nonlocal acting
        if not acting and self.query.select_for_update and self.query.model is model:
            locks.append(str(self.query))
            if len(locks) == nth:
                acting = True
                try:
                    action()
                finally:
                    acting = False
        return original(self, *args, **kwargs)

    with mock.patch.object(SQLCompiler, "execute_sql", execute_sql):
        yield locks
