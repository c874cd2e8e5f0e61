"""The domain's shared reads: the live end of a ``merged_into`` chain, which later edits
block an undo, and the signal the speaker services send for each recorded edit."""

from __future__ import annotations

import itertools

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from diarization_portal.conversations.models import Member, SpeakerEdit, blocked_by
from diarization_portal.conversations.services.speakers import (
    edit_undo,
    member_merge,
    member_rename,
)
from diarization_portal.conversations.signals import speaker_edit_recorded
from tests import factories

pytestmark = pytest.mark.django_db


def chain(n: int):
    """A conversation of ``n + 1`` members where member i was merged into member i + 1, one
    merge after the other: a chain of ``n`` hops ending at the last member."""
    conv = factories.conversation(factories.workspace(), members=n + 2, messages=3 * (n + 2))
    people = list(Member.objects.filter(conversation=conv).order_by("position"))
    for source, target in itertools.pairwise(people[: n + 1]):
        member_merge(source=source, target=target)
    return [Member.objects.get(pk=m.pk) for m in people]


def test_live_survivors_follows_a_chain_in_one_query():
    people = chain(4)
    end, bystander = people[4], people[5]
    assert people[0].merged_into_id == people[1].pk  # merges do not re-point: a chain
    with CaptureQueriesContext(connection) as ctx:
        found = Member.objects.live_survivors([m.pk for m in people] + [10**9])
    assert len(ctx.captured_queries) == 1
    assert found == {**{m.pk: end.pk for m in people[:5]}, bystander.pk: bystander.pk}


def test_live_survivor_reads_one_row_in_one_query_and_none_when_live():
    people = chain(3)
    with CaptureQueriesContext(connection) as ctx:
        survivor = people[0].live_survivor()
    assert len(ctx.captured_queries) == 1
    assert (survivor.pk, survivor.name) == (people[3].pk, people[3].name)
    with CaptureQueriesContext(connection) as ctx:
        assert people[3].live_survivor() is people[3]
    assert ctx.captured_queries == []


def test_survivor_among_rows_read_matches_the_query():
    people = chain(3)
    by_pk = {m.pk: m for m in people}
    with CaptureQueriesContext(connection) as ctx:
        found = {m.pk: m.survivor_among(by_pk).pk for m in people}
    assert ctx.captured_queries == []
    assert found == Member.objects.live_survivors(by_pk)


def test_blocking_edits_one_query_and_the_same_rule_everywhere():
    conv = factories.conversation(factories.workspace(), members=4, messages=12)
    a, b, c, d = Member.objects.filter(conversation=conv).order_by("position")
    first = member_rename(member=a, name="Ana")
    other = member_rename(member=d, name="Dee")
    merge = member_merge(source=a, target=b)
    again = member_rename(member=Member.objects.get(pk=b.pk), name="Bea")
    undone = member_rename(member=c, name="Cy")
    edit_undo(edit=undone)
    with CaptureQueriesContext(connection) as ctx:
        assert SpeakerEdit.objects.blocking(first) == [merge]
    assert len(ctx.captured_queries) == 1
    assert SpeakerEdit.objects.blocking(merge) == [again]
    assert SpeakerEdit.objects.blocking(other) == []
    edits = list(SpeakerEdit.objects.filter(conversation=conv))
    with CaptureQueriesContext(connection) as ctx:
        found = SpeakerEdit.objects.blocked_map(edits)
    assert len(ctx.captured_queries) == 1
    expected = {first.pk: [merge.pk], merge.pk: [again.pk]}
    assert found == expected == blocked_by(edits, edits)


def test_an_edit_is_announced_inside_its_transaction():
    conv = factories.conversation(factories.workspace(), members=2, messages=6)
    member = Member.objects.filter(conversation=conv).first()
    heard = []

    def listen(sender, *, edit, **kwargs):
        heard.append((sender, edit.op, edit.is_undone, connection.in_atomic_block))

    speaker_edit_recorded.connect(listen, sender=SpeakerEdit)
    try:
        with transaction.atomic():  # the test's own; the service nests a savepoint
            edit = member_rename(member=member, name="Ana")
        edit_undo(edit=edit)
    finally:
        speaker_edit_recorded.disconnect(listen, sender=SpeakerEdit)
    assert heard == [(SpeakerEdit, "rename", False, True), (SpeakerEdit, "rename", True, True)]
