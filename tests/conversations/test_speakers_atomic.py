"""Speaker operations are atomic: a failure after any of their writes leaves every table as it
was and enqueues no push; and each reads what it records only once it holds its locks
(DESIGN §3, §7 "Locks before reads"). Helpers: :mod:`tests.atomicity`."""

from __future__ import annotations

import pytest

from diarization_portal.conversations.models import (
    EditOp,
    Insight,
    Member,
    Message,
    SpeakerEdit,
    SyncState,
)
from diarization_portal.conversations.services.speakers import (
    UndoConflict,
    edit_undo,
    member_merge,
    member_rename,
    messages_reassign,
    messages_split,
)
from diarization_portal.sync.services import members as sync_members
from tests import factories
from tests.atomicity import (
    HalfWay,
    before_lock,
    every_write_fails,
    fail_after,
    half_way,
    nothing_changes,
)
from tests.broker import queued

pytestmark = pytest.mark.django_db(transaction=True)

MEMBER_TABLE = Member._meta.db_table


@pytest.fixture
def ws():
    return factories.workspace()


@pytest.fixture
def editor(ws):
    return factories.user(ws)


@pytest.fixture
def conv(ws):
    """Four speakers over 16 messages with 12 insights; the speakers exist at the vendor
    (``synced``), so a rename or merge enqueues their push."""
    conv = factories.conversation(ws, members=4, messages=16, insights=12)
    Member.objects.filter(conversation=conv).update(sync_state=SyncState.SYNCED)
    return conv


def members_of(conv) -> list[Member]:
    return list(Member.objects.filter(conversation=conv).order_by("position", "pk"))


def pushes() -> list[int]:
    return sorted(args[0] for name, args in queued() if name == "push_member")


def test_rename_fails_half_way_without_a_trace_then_renames(conv, editor):
    a = members_of(conv)[0]

    def rename():
        return member_rename(member=a, name="Ada Lovelace", email="ada@example.com", user=editor)

    # Right after the push is enqueued: the rollback drops it.
    with (
        nothing_changes(),
        pytest.raises(HalfWay),
        fail_after(sync_members, "enqueue") as enqueued,
    ):
        rename()
    assert enqueued == [("push_member", a.pk)]

    edit = every_write_fails(rename)
    assert edit.op == EditOp.RENAME
    assert Member.objects.get(pk=a.pk).name == "Ada Lovelace"
    assert pushes() == [a.pk]


def test_merge_by_email_fails_half_way_without_a_trace_then_merges(conv, editor):
    a, b, *_ = members_of(conv)
    Member.objects.filter(pk=b.pk).update(email="grace@example.com")

    edit = every_write_fails(
        lambda: member_rename(member=a, name="Grace", email="grace@example.com", user=editor)
    )
    assert edit.op == EditOp.MERGE and edit.payload["by_email"]
    assert Member.objects.get(pk=a.pk).merged_into_id == b.pk
    assert pushes() == [a.pk, b.pk]


def test_merge_fails_half_way_without_a_trace_then_merges(conv, editor):
    a, b, *_ = members_of(conv)
    moved = set(Message.objects.filter(member=a).values_list("pk", flat=True))

    edit = every_write_fails(lambda: member_merge(source=a, target=b, user=editor))
    assert set(edit.payload["messages"]) == moved
    assert not Message.objects.filter(member=a).exists()
    assert not Insight.objects.filter(from_member=a).exists()
    assert not Insight.objects.filter(assignee=a).exists()
    assert pushes() == [a.pk, b.pk]


def test_reassign_and_split_fail_half_way_without_a_trace_then_apply(conv, editor):
    a, b, c, _ = members_of(conv)
    lines_of_a = list(Message.objects.filter(member=a).values_list("pk", flat=True))
    lines_of_b = list(Message.objects.filter(member=b).values_list("pk", flat=True))

    edit = every_write_fails(
        lambda: messages_reassign(messages=lines_of_a[:2], member=c, user=editor)
    )
    assert edit.op == EditOp.REASSIGN and edit.payload["insights_from"]
    assert set(Message.objects.filter(pk__in=lines_of_a[:2]).values_list("member", flat=True)) == {
        c.pk
    }

    edit, new = every_write_fails(
        lambda: messages_split(conversation=conv, messages=lines_of_b, name="Guest", user=editor)
    )
    assert edit.op == EditOp.SPLIT
    assert Message.objects.filter(member=new).count() == len(lines_of_b)
    assert Member.objects.filter(conversation=conv).count() == 5
    assert pushes() == []  # reassign and split are not pushed


def test_undo_of_a_merge_failing_half_way_leaves_the_merge_whole(conv, editor):
    a, b, *_ = members_of(conv)
    edit = member_merge(source=a, target=b, user=editor)
    merged = set(edit.payload["messages"])
    queued_before = queued()

    writes = half_way(lambda: edit_undo(edit=edit, user=editor))
    # Its first write brought the source member back; the rollback took that back too.
    assert MEMBER_TABLE in writes[0]
    assert Member.objects.get(pk=a.pk).merged_into_id == b.pk
    assert set(Message.objects.filter(member=b).values_list("pk", flat=True)) >= merged
    assert not Insight.objects.filter(from_member=a).exists()
    assert SpeakerEdit.objects.get(pk=edit.pk).undone_at is None

    undone = every_write_fails(lambda: edit_undo(edit=edit, user=editor))
    assert undone.is_undone
    assert Member.objects.get(pk=a.pk).merged_into_id is None
    assert set(Message.objects.filter(member=a).values_list("pk", flat=True)) == merged
    assert queued()[len(queued_before) :] == [("push_member", (a.pk,)), ("push_member", (b.pk,))]


def test_undo_of_rename_reassign_and_split_fails_half_way_without_a_trace(conv, editor):
    a, b, c, d = members_of(conv)
    before = {m.pk: (m.name, m.email) for m in members_of(conv)}
    lines_of_b = list(Message.objects.filter(member=b).values_list("pk", flat=True))
    lines_of_c = list(Message.objects.filter(member=c).values_list("pk", flat=True))
    rename = member_rename(member=a, name="Ada", email="ada@example.com", user=editor)
    reassign = messages_reassign(messages=lines_of_b[:2], member=d, user=editor)
    split, new = messages_split(conversation=conv, messages=lines_of_c, name="Guest", user=editor)

    for edit in (split, reassign, rename):
        assert every_write_fails(lambda edit=edit: edit_undo(edit=edit, user=editor)).is_undone
    assert {m.pk: (m.name, m.email) for m in members_of(conv)} == before
    assert list(Message.objects.filter(member=b).values_list("pk", flat=True)) == lines_of_b
    assert not Member.objects.filter(pk=new.pk).exists()


def test_reassign_records_the_speakers_the_lines_have_once_it_holds_their_locks(conv, editor):
    a, b, c, _ = members_of(conv)
    line = Message.objects.filter(member=a).order_by("pk").first()

    def merged_meanwhile():  # another transaction merges a into b before the lock on a
        member_merge(source=a, target=b)

    with before_lock(Member, merged_meanwhile) as locks:
        edit = messages_reassign(messages=[line.pk], member=c, user=editor)
    assert len(locks) >= 2
    assert edit.payload["messages"] == {str(line.pk): b.pk}  # not the merged a
    assert b.pk in edit.member_ids()

    edit_undo(edit=edit, user=editor)
    assert Message.objects.get(pk=line.pk).member_id == b.pk  # a live member again


def test_undo_looks_for_later_edits_once_it_holds_the_members(conv, editor):
    a = members_of(conv)[0]
    edit = member_rename(member=a, name="Ada", user=editor)

    def renamed_meanwhile():  # another transaction renames a again before the undo locks it
        member_rename(member=a, name="Ada Lovelace", user=editor)

    with before_lock(Member, renamed_meanwhile) as locks, pytest.raises(UndoConflict) as err:
        edit_undo(edit=edit, user=editor)
    assert locks
    assert [e.summary for e in err.value.blocking] == ["Renamed Ada to Ada Lovelace"]


def test_rename_merges_by_email_only_into_a_member_that_still_has_it_once_locked(conv, editor):
    a, b, *_ = members_of(conv)
    Member.objects.filter(pk=b.pk).update(email="grace@example.com")

    def email_changed_meanwhile():  # another transaction gives b another email first
        member_rename(member=b, name=b.name, email="grace@work.example.com")

    with before_lock(Member, email_changed_meanwhile) as locks:
        edit = member_rename(member=a, name="Grace", email="grace@example.com", user=editor)
    assert locks
    assert edit.op == EditOp.RENAME  # nobody holds the email any more: no merge
    assert Member.objects.get(pk=a.pk).merged_into_id is None
    assert Member.objects.get(pk=a.pk).email == "grace@example.com"
