"""Two speaker operations on the same speakers at the same time, in one forced interleaving
each (:func:`tests.interleave.race`): the first is stopped between what it read and what it
writes while the second runs. Whatever the order, the invariants of DESIGN §2 hold after both
(every reference on a live member of the conversation, nothing lost), an operation that lost
the race is refused with a :class:`SpeakerOperationError` (:class:`ConcurrentEdit` when the
speakers it was given changed under it), never a database error, and undoing every active
edit newest first gives back who said what, raised and owns each insight, as imported.

On SQLite the second operation waits for the first one's write lock (``BEGIN IMMEDIATE``), so
these races can only end one way there; on PostgreSQL they are real row-lock races.
"""

from __future__ import annotations

import pytest
from django.db import connection

from diarization_portal.conversations.models import Insight, Member, Message, SpeakerEdit
from diarization_portal.conversations.services.speakers import (
    ConcurrentEdit,
    SpeakerOperationError,
    UndoConflict,
    edit_undo,
    member_merge,
    member_rename,
    messages_reassign,
    messages_split,
)
from tests import factories
from tests.conversations import test_speakers_properties as props
from tests.interleave import Outcome, locks, race, updates

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def conv():
    """Four speakers A, B, C, D (by primary key) taking turns of three lines over 12
    messages, with 6 insights, each tied to one line, from its speaker."""
    return factories.conversation(factories.workspace(), members=4, messages=12, insights=6)


def members_of(conv) -> list[Member]:
    return list(Member.objects.filter(conversation=conv).order_by("pk"))


def fresh(member: Member) -> Member:
    """The member as a view would read it now."""
    return Member.objects.get(pk=member.pk)


def second_commits_first(point: str) -> bool:
    """Whether the second operation can commit while the first is held at ``point``: not on
    SQLite, where the first holds the write lock from its first statement, nor once the first
    holds its row locks."""
    return point == "before its locks" and connection.vendor == "postgresql"


def refused_or_done(*outcomes: Outcome) -> None:
    """Each operation either succeeded or was refused as a speaker operation (no database
    error: no deadlock, no half-written state reaching the caller as a 500)."""
    for outcome in outcomes:
        assert outcome.ok or isinstance(outcome.error, SpeakerOperationError), repr(outcome.error)


class Watch:
    """The conversation as imported, to check invariants 2 and 3 against and to compare with
    after undoing everything."""

    def __init__(self, conv):
        self.conv = conv
        self.original = props.attribution(conv)
        self.facts = props.fixed_facts(conv)
        self.counts = (
            Message.objects.filter(conversation=conv).count(),
            Insight.objects.filter(conversation=conv).count(),
            0,
        )

    def check(self) -> None:
        self.counts = props.SpeakerOperationProperties.check_invariants(
            None,
            self.conv,
            facts=self.facts,
            counts=self.counts,
            original_members=set(self.original["members"]),
        )

    def undo_everything(self, *, check_each: bool = True) -> int:
        """Undo every active edit newest first (each must succeed), checking the invariants
        before, at the end and (``check_each``) after each undo; then everything reads as
        imported. Returns the number of edits undone."""
        self.check()
        active = SpeakerEdit.objects.filter(conversation=self.conv, undone_at__isnull=True)
        undone = 0
        for edit in active.order_by("-pk"):
            edit_undo(edit=edit)
            undone += 1
            if check_each:
                self.check()
        self.check()
        final = props.attribution(self.conv)
        assert final["messages"] == self.original["messages"]
        assert final["insights"] == self.original["insights"]
        assert final["members"] == self.original["members"]
        return undone


def test_reassign_vs_merge_of_the_member_an_insight_is_from(conv):
    """A reassign makes an insight follow its line to the new speaker and records the
    member the insight was from; a merge of that member must not commit in between (or the
    undo of the reassign gives the insight back to a merged member)."""
    a, b, c, d = members_of(conv)
    watch = Watch(conv)
    line = Message.objects.filter(member=a).order_by("pk").first()
    insight = Insight.objects.get(conversation=conv, messages=line)
    Insight.objects.filter(pk=insight.pk).update(from_member=d)  # D raised it
    watch = Watch(conv)

    first, second = race(
        lambda: messages_reassign(messages=[line.pk], member=fresh(c)),
        lambda: member_merge(source=fresh(d), target=fresh(b)),
        at=updates(Insight, "from_member_id"),
    )
    refused_or_done(first, second)
    assert first.ok and second.ok
    assert Insight.objects.get(pk=insight.pk).from_member_id == c.pk
    watch.undo_everything()


@pytest.mark.parametrize("point", ["before its locks", "before its writes"])
def test_undo_of_a_reassign_vs_merge_of_the_previous_speaker(conv, point):
    """The undo gives a line back to A while A is merged into B: either the merge committed
    first and blocks the undo, or it waits for the undo and then moves the line too."""
    a, b, c, _ = members_of(conv)
    line = Message.objects.filter(member=a).order_by("pk").first()
    watch = Watch(conv)
    edit = messages_reassign(messages=[line.pk], member=c)

    first, second = race(
        lambda: edit_undo(edit=edit),
        lambda: member_merge(source=fresh(a), target=fresh(b)),
        at=locks(Member) if point == "before its locks" else updates(Message),
    )
    refused_or_done(first, second)
    assert second.ok
    if second_commits_first(point):  # the merge committed first: it blocks the undo
        assert isinstance(first.error, UndoConflict), repr(first.error)
        assert [e.pk for e in first.error.blocking] == [second.result.pk]
    else:  # the merge waited for the undo, then took the line back from A as well
        assert first.ok
        assert Message.objects.get(pk=line.pk).member_id == b.pk
    watch.undo_everything()


@pytest.mark.parametrize("point", ["before its locks", "before its writes"])
def test_undo_of_a_split_vs_merge_of_its_new_member(conv, point):
    """The undo of a split deletes the member it created while that member is merged into B:
    a merge committed first blocks the undo (and can itself be undone); a merge that waited
    for the undo finds its member gone and is refused as a lost race (409), not as a bad
    request."""
    a, b, *_ = members_of(conv)
    lines = list(Message.objects.filter(member=a).order_by("pk").values_list("pk", flat=True))
    watch = Watch(conv)
    edit, new = messages_split(conversation=conv, messages=lines[:2], name="Eve")

    first, second = race(
        lambda: edit_undo(edit=edit),
        lambda: member_merge(source=fresh(new), target=fresh(b)),
        at=locks(Member) if point == "before its locks" else updates(Message),
    )
    refused_or_done(first, second)
    if second_commits_first(point):
        assert second.ok
        assert isinstance(first.error, UndoConflict), repr(first.error)
    else:
        assert first.ok
        assert isinstance(second.error, ConcurrentEdit), repr(second.error)
        assert not Member.objects.filter(pk=new.pk).exists()
    watch.undo_everything()


def test_reassign_vs_rename_by_email_take_their_locks_in_one_order(conv):
    """A reassign of A's lines to D and a rename of A with D's email (a merge of A into D)
    lock the same two members. Taken in two orders (D then A, A then D) they deadlock on
    PostgreSQL; taken in one, the second waits or finds the work done."""
    a, _, _, d = members_of(conv)
    Member.objects.filter(pk=d.pk).update(email="dana@example.com")
    lines = list(Message.objects.filter(member=a).order_by("pk").values_list("pk", flat=True))
    watch = Watch(conv)

    first, second = race(
        lambda: messages_reassign(messages=lines, member=fresh(d)),
        lambda: member_rename(member=fresh(a), name="Ann", email="dana@example.com"),
        at=locks(Member, including=a.pk),
    )
    refused_or_done(first, second)
    assert first.ok or second.ok
    assert set(Message.objects.filter(pk__in=lines).values_list("member_id", flat=True)) == {d.pk}
    watch.undo_everything()


def test_undo_giving_back_an_email_vs_rename_taking_it(conv):
    """An undo gives A back its email while B is renamed with that email: whichever goes
    second sees the first (B then merges into A by email), so two live speakers never end
    with one email."""
    a, b, _, _ = members_of(conv)
    Member.objects.filter(pk=a.pk).update(email="ada@example.com")
    watch = Watch(conv)
    change = member_rename(member=fresh(a), name=a.name, email="ada@work.example.com")

    first, second = race(
        lambda: edit_undo(edit=change),
        lambda: member_rename(member=fresh(b), name="Bea", email="ada@example.com"),
        at=updates(Member),
    )
    refused_or_done(first, second)
    assert first.ok and second.ok
    holders = Member.objects.live().filter(conversation=conv, email="ada@example.com")
    assert list(holders.values_list("pk", flat=True)) == [a.pk]
    assert second.result.op == "merge"
    watch.undo_everything()
