"""Forcing one interleaving of two transactions, each in its own thread (and connection).

:func:`race` runs ``first()`` in a thread and stops it just before the first ORM query for
which a predicate holds (:func:`locks`, :func:`updates`): the point between what a service has
read and what it writes. It then runs ``second()`` in another thread and lets ``first`` go on
when ``second`` has finished, or after :data:`HOLD` seconds when ``second`` waits for a lock
``first`` holds (on PostgreSQL a row lock; on SQLite the database's write lock, which
``BEGIN IMMEDIATE`` gave ``first`` at its start). Both outcomes, result or exception, come
back to the test; nothing is mocked but the pause.

Tests built on it run with ``django_db(transaction=True)``: each thread commits for real.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from unittest import mock

from django.db import connection
from django.db.models.lookups import In
from django.db.models.sql.compiler import SQLCompiler, SQLUpdateCompiler

#: Seconds ``first`` is held at its point while ``second`` has not finished.
HOLD = 2.0
#: Seconds a thread may take at most before the race counts as hung.
JOIN = 60.0


@dataclass
class Outcome:
    """What a call returned (``result``) or raised (``error``)."""

    result: object = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _pks(where) -> set[int]:
    """Primary keys of a ``pk__in`` lookup anywhere in a query's WHERE tree."""
    found: set[int] = set()
    for child in getattr(where, "children", ()):
        if isinstance(child, In) and getattr(child.lhs, "target", None) is not None:
            if child.lhs.target.primary_key:
                found.update(child.rhs)
        else:
            found |= _pks(child)
    return found


def locks(model, including: int | None = None) -> Callable[[SQLCompiler], bool]:
    """A point: a row lock (``select_for_update``) of ``model``'s rows, of one that names the
    primary key ``including`` when given. SQLite leaves ``FOR UPDATE`` out of the SQL, so the
    lock is recognised by its query."""

    def at(compiler: SQLCompiler) -> bool:
        query = compiler.query
        if not (query.select_for_update and query.model is model):
            return False
        return including is None or including in _pks(query.where)

    return at


def updates(model, field: str | None = None) -> Callable[[SQLCompiler], bool]:
    """A point: an UPDATE of ``model``'s rows (that sets ``field``, when given)."""

    def at(compiler: SQLCompiler) -> bool:
        if not isinstance(compiler, SQLUpdateCompiler) or compiler.query.model is not model:
            return False
        return field is None or any(f.attname == field for f, _, _ in compiler.query.values)

    return at


def _run(call: Callable[[], object], outcome: Outcome, done: threading.Event, me: dict) -> None:
    me["ident"] = threading.get_ident()
    try:
        outcome.result = call()
    except BaseException as exc:  # handed to the test
        outcome.error = exc
    finally:
        connection.close()  # this thread's own connection
        done.set()


def race(
    first: Callable[[], object],
    second: Callable[[], object],
    *,
    at: Callable[[SQLCompiler], bool],
    hold: float = HOLD,
) -> tuple[Outcome, Outcome]:
    """Run ``first()`` until it is about to run a query for which ``at(compiler)`` holds, then
    ``second()`` to its end (or for ``hold`` seconds), then the rest of ``first()``. Returns
    their outcomes. Raises :class:`AssertionError` when ``first`` never reached the point or a
    thread hung for :data:`JOIN` seconds."""
    original = SQLCompiler.execute_sql
    reached, first_done, second_done = threading.Event(), threading.Event(), threading.Event()
    me: dict = {}

    def execute_sql(self, *args, **kwargs):
        if threading.get_ident() == me.get("ident") and not reached.is_set() and at(self):
            reached.set()
            second_done.wait(hold)
        return original(self, *args, **kwargs)

    one, two = Outcome(), Outcome()
    with mock.patch.object(SQLCompiler, "execute_sql", execute_sql):
        a = threading.Thread(target=_run, args=(first, one, first_done, me), daemon=True)
        a.start()
        while not (reached.wait(0.01) or first_done.is_set()):
            pass
        b = None
        if reached.is_set():
            b = threading.Thread(target=_run, args=(second, two, second_done, {}), daemon=True)
            b.start()
        a.join(JOIN)
        if b is not None:
            b.join(JOIN)
    assert reached.is_set(), f"the first call never reached its point: {one}"
    assert not a.is_alive() and not b.is_alive(), "a thread of the race hung"
    return one, two
