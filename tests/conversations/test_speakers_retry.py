"""A speaker operation that loses a race is rolled back and run again a bounded number of
times (:func:`speaker_operation`), then refused with :class:`ConcurrentEdit`.

On PostgreSQL the lost race is a real error of the server with its SQLSTATE (serialization
failure 40001, deadlock detected 40P01, lock not available 55P03, raised by a ``DO`` block);
on SQLite, where writers never meet (``BEGIN IMMEDIATE``), it is the service's own "the
members I locked changed" signal."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from diarization_portal.conversations.models import Member
from diarization_portal.conversations.services import speakers
from diarization_portal.conversations.services.speakers import (
    ATTEMPTS,
    ConcurrentEdit,
    speaker_operation,
)
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def raise_sqlstate(sqlstate: str) -> None:
    """Make the database server fail the current statement with ``sqlstate``."""
    with connection.cursor() as cursor:
        cursor.execute(f"DO $$ BEGIN RAISE EXCEPTION 'lost' USING ERRCODE = '{sqlstate}'; END $$")


def lose_a_race(sqlstate: str) -> None:
    if connection.vendor == "postgresql":
        raise_sqlstate(sqlstate)
    raise speakers._Stale


@pytest.fixture
def member():
    conv = factories.conversation(factories.workspace(), members=1, messages=1)
    return Member.objects.get(conversation=conv)


def operation_losing(member, times: int, sqlstate: str):
    """A speaker operation that renames ``member`` "try N", then loses its race on its first
    ``times`` tries. Returns it and the list of its tries."""
    tries: list[int] = []

    @speaker_operation
    def operation() -> int:
        tries.append(len(tries) + 1)
        Member.objects.filter(pk=member.pk).update(name=f"try {len(tries)}")
        if len(tries) <= times:
            lose_a_race(sqlstate)
        return len(tries)

    return operation, tries


@pytest.mark.parametrize("sqlstate", ["40001", "40P01", "55P03"])
def test_a_lost_race_is_run_again_in_a_new_transaction(member, sqlstate):
    operation, tries = operation_losing(member, ATTEMPTS - 1, sqlstate)
    assert operation() == ATTEMPTS
    assert tries == list(range(1, ATTEMPTS + 1))
    assert Member.objects.get(pk=member.pk).name == f"try {ATTEMPTS}"


@pytest.mark.parametrize("sqlstate", ["40001", "40P01"])
def test_races_lost_every_time_are_a_concurrent_edit_and_change_nothing(member, sqlstate):
    operation, tries = operation_losing(member, ATTEMPTS, sqlstate)
    with pytest.raises(ConcurrentEdit):
        operation()
    assert len(tries) == ATTEMPTS
    assert Member.objects.get(pk=member.pk).name == member.name


def test_nested_in_a_callers_transaction_a_lost_race_is_refused_at_once(member):
    operation, tries = operation_losing(member, 1, "40P01")
    with transaction.atomic():
        with pytest.raises(ConcurrentEdit):
            operation()
        assert Member.objects.get(pk=member.pk).name == member.name  # still usable
    assert tries == [1]


def test_other_database_errors_are_not_run_again(member):
    tries: list[int] = []

    @speaker_operation
    def operation():
        tries.append(1)
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table")

    with pytest.raises(DatabaseError):
        operation()
    assert tries == [1]
