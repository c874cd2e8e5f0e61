"""Speaker operations: rename, merge-by-email, merge, reassign, split and undo (DESIGN §3)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from diarization_portal.conversations.models import (
    Conversation,
    EditOp,
    Insight,
    InsightType,
    Member,
    Message,
    SpeakerEdit,
)
from diarization_portal.conversations.services.speakers import (
    SpeakerOperationError,
    UndoConflict,
    blocking_edits,
    edit_undo,
    member_merge,
    member_rename,
    messages_reassign,
    messages_split,
)
from tests import factories

pytestmark = pytest.mark.django_db

MEMBER_TABLE = Member._meta.db_table
MESSAGE_TABLE = Message._meta.db_table
INSIGHT_TABLE = Insight._meta.db_table


# --- helpers ---------------------------------------------------------------------------------


def members_of(conv: Conversation) -> list[Member]:
    return list(Member.objects.filter(conversation=conv).order_by("position", "pk"))


def snapshot(conv: Conversation) -> dict:
    """Everything a speaker operation may change, as plain values."""
    return {
        "members": {
            m["pk"]: m
            for m in Member.objects.filter(conversation=conv).values(
                "pk", "name", "email", "name_locked", "email_locked", "merged_into_id", "position"
            )
        },
        "messages": dict(Message.objects.filter(conversation=conv).values_list("pk", "member_id")),
        "diarized": dict(
            Message.objects.filter(conversation=conv).values_list("pk", "diarized_member_id")
        ),
        "insights": {
            i.pk: (i.from_member_id, i.assignee_id, tuple(sorted(m.pk for m in i.messages.all())))
            for i in Insight.objects.filter(conversation=conv).prefetch_related("messages")
        },
    }


def updates_of(queries, table: str) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith("UPDATE") and table in q["sql"]
    ]


def all_updates(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("UPDATE")]


def shape(queries) -> list[str]:
    """The statements with every number blanked, to compare runs on conversations of any size."""
    return [re.sub(r"\d+(\.\d+)?", "N", q["sql"]) for q in queries]


def add_insight(conv, *, messages, from_member, assignee=None, n: int = 0) -> Insight:
    insight = Insight.objects.create(
        conversation=conv,
        external_id=f"extra-{n}-{from_member.pk if from_member else 'none'}",
        type=InsightType.ACTION_ITEM,
        text="follow up on the budget",
        from_member=from_member,
        assignee=assignee,
    )
    insight.messages.set(messages)
    return insight


@pytest.fixture
def ws():
    return factories.workspace()


@pytest.fixture
def editor(ws):
    return factories.user(ws)


@pytest.fixture
def conv(ws):
    """Three speakers over 12 messages (turns of three: A, B, C, A), nine one-message insights
    (from the speaker, assigned to the next one)."""
    return factories.conversation(ws, members=3, messages=12, insights=9)


# --- rename ----------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [10, 1000])
def test_rename_is_one_update_of_one_member_row(ws, size):
    conv = factories.conversation(ws, members=3, messages=size, insights=5)
    member = members_of(conv)[0]

    with CaptureQueriesContext(connection) as ctx:
        member_rename(member=member, name="Ada Lovelace")

    assert len(all_updates(ctx.captured_queries)) == 1
    (update,) = updates_of(ctx.captured_queries, MEMBER_TABLE)
    assert MESSAGE_TABLE not in update and INSIGHT_TABLE not in update
    assert Member.objects.get(pk=member.pk).name == "Ada Lovelace"


def test_rename_statements_do_not_depend_on_conversation_size(ws):
    shapes = []
    for size in (10, 1000):
        conv = factories.conversation(ws, members=3, messages=size, insights=5, title=f"c{size}")
        member = members_of(conv)[0]
        with CaptureQueriesContext(connection) as ctx:
            member_rename(member=member, name="Ada Lovelace", email="ada@example.com")
        shapes.append(shape(ctx.captured_queries))
    assert shapes[0] == shapes[1]


def test_rename_shows_new_name_on_every_message_and_insight_through_fk(conv):
    member = members_of(conv)[0]
    member_rename(member=member, name="Grace Hopper")

    messages = Message.objects.filter(member_id=member.pk).select_related("member")
    assert messages.count() > 0
    assert {m.member.name for m in messages} == {"Grace Hopper"}
    from_insights = Insight.objects.filter(from_member_id=member.pk).select_related("from_member")
    assigned = Insight.objects.filter(assignee_id=member.pk).select_related("assignee")
    assert from_insights.exists() and assigned.exists()
    assert {i.from_member.name for i in from_insights} == {"Grace Hopper"}
    assert {i.assignee.name for i in assigned} == {"Grace Hopper"}


def test_rename_locks_the_name_and_updates_the_passed_instance(conv):
    member = members_of(conv)[0]
    assert not member.name_locked
    member_rename(member=member, name="  Grace Hopper  ")

    row = Member.objects.get(pk=member.pk)
    assert row.name == "Grace Hopper"
    assert row.name_locked
    assert not row.email_locked
    assert member.name == "Grace Hopper"


@pytest.mark.parametrize("name", ["", "   ", None])
def test_rename_to_empty_name_is_refused(conv, name):
    member = members_of(conv)[0]
    before = snapshot(conv)
    with pytest.raises(SpeakerOperationError):
        member_rename(member=member, name=name)
    assert snapshot(conv) == before
    assert not SpeakerEdit.objects.exists()


def test_rename_to_overlong_name_is_refused(conv):
    member = members_of(conv)[0]
    with pytest.raises(SpeakerOperationError):
        member_rename(member=member, name="x" * 201)
    assert not SpeakerEdit.objects.exists()


def test_rename_of_merged_member_is_refused(conv):
    a, b, _ = members_of(conv)
    member_merge(source=a, target=b)
    before = snapshot(conv)
    with pytest.raises(SpeakerOperationError):
        member_rename(member=Member.objects.get(pk=a.pk), name="Too late")
    assert snapshot(conv) == before


def test_rename_with_email_only_sets_email_and_keeps_name(conv):
    member = members_of(conv)[0]
    edit = member_rename(member=member, name=member.name, email="  Ada@Example.COM ")

    row = Member.objects.get(pk=member.pk)
    assert row.name == "Speaker 1"
    assert row.email == "ada@example.com"
    assert row.email_locked
    assert edit.op == EditOp.RENAME
    assert "email" in edit.summary


def test_rename_with_email_none_keeps_email(conv):
    member = members_of(conv)[0]
    Member.objects.filter(pk=member.pk).update(email="keep@example.com")
    member.refresh_from_db()

    member_rename(member=member, name="Ada", email=None)

    row = Member.objects.get(pk=member.pk)
    assert row.email == "keep@example.com"
    assert not row.email_locked


def test_rename_with_empty_email_clears_it(conv):
    member = members_of(conv)[0]
    Member.objects.filter(pk=member.pk).update(email="old@example.com")
    member_rename(member=Member.objects.get(pk=member.pk), name="Ada", email="")
    assert Member.objects.get(pk=member.pk).email == ""


def test_rename_that_changes_nothing_is_refused(conv):
    member = members_of(conv)[0]
    member_rename(member=member, name="Ada")
    with pytest.raises(SpeakerOperationError):
        member_rename(member=Member.objects.get(pk=member.pk), name="Ada")
    assert SpeakerEdit.objects.count() == 1


def test_rename_records_edit_with_user_op_summary_and_before_after(conv, editor):
    member = members_of(conv)[0]
    edit = member_rename(member=member, name="Ada Lovelace", email="ada@example.com", user=editor)

    edit.refresh_from_db()
    assert edit.conversation_id == conv.pk
    assert edit.user == editor
    assert edit.op == EditOp.RENAME
    assert edit.summary == "Renamed Speaker 1 to Ada Lovelace"
    assert edit.undone_at is None
    assert edit.payload == {
        "member": member.pk,
        "before": {"name": "Speaker 1", "email": "", "name_locked": False, "email_locked": False},
        "after": {
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "name_locked": True,
            "email_locked": True,
        },
    }


# --- merge by email (Symbl's rule) -----------------------------------------------------------


def test_rename_with_email_of_another_member_merges_into_that_member(conv, editor):
    a, b, _ = members_of(conv)
    Member.objects.filter(pk=b.pk).update(name="Bob", email="bob@example.com")
    a_messages = set(Message.objects.filter(member=a).values_list("pk", flat=True))
    a_from = set(Insight.objects.filter(from_member=a).values_list("pk", flat=True))
    a_assigned = set(Insight.objects.filter(assignee=a).values_list("pk", flat=True))
    assert a_messages and a_from and a_assigned

    edit = member_rename(member=a, name="Robert", email="bob@example.com", user=editor)

    assert edit.op == EditOp.MERGE
    assert edit.payload["by_email"] is True
    assert (edit.payload["source"], edit.payload["target"]) == (a.pk, b.pk)
    a.refresh_from_db()
    b_row = Member.objects.get(pk=b.pk)
    assert a.merged_into_id == b.pk
    assert (b_row.pk, b_row.name, b_row.email, b_row.merged_into_id) == (
        b.pk,
        "Bob",
        "bob@example.com",
        None,
    )
    assert not Message.objects.filter(member=a).exists()
    assert set(Message.objects.filter(pk__in=a_messages).values_list("member", flat=True)) == {b.pk}
    assert set(Insight.objects.filter(pk__in=a_from).values_list("from_member", flat=True)) == {
        b.pk
    }
    assert set(Insight.objects.filter(pk__in=a_assigned).values_list("assignee", flat=True)) == {
        b.pk
    }
    assert not Insight.objects.filter(from_member=a).exists()
    assert not Insight.objects.filter(assignee=a).exists()


def test_merge_by_email_matches_case_insensitively(conv):
    a, b, _ = members_of(conv)
    Member.objects.filter(pk=b.pk).update(email="Bob@Example.com")

    edit = member_rename(member=a, name="Robert", email="bOB@EXAMPLE.COM")

    assert edit.op == EditOp.MERGE
    assert Member.objects.get(pk=a.pk).merged_into_id == b.pk
    assert Member.objects.get(pk=b.pk).email == "Bob@Example.com"


def test_email_of_merged_member_does_not_trigger_merge(conv):
    a, b, c = members_of(conv)
    Member.objects.filter(pk=c.pk).update(email="carol@example.com")
    member_merge(source=Member.objects.get(pk=c.pk), target=b)

    edit = member_rename(member=a, name="Carol", email="carol@example.com")

    assert edit.op == EditOp.RENAME
    row = Member.objects.get(pk=a.pk)
    assert (row.name, row.email, row.merged_into_id) == ("Carol", "carol@example.com", None)


def test_email_of_member_in_other_conversation_does_not_trigger_merge(ws, conv):
    other = factories.conversation(ws, members=2, messages=4, title="other")
    Member.objects.filter(conversation=other).update(email="eve@example.com")
    a = members_of(conv)[0]

    edit = member_rename(member=a, name="Eve", email="eve@example.com")

    assert edit.op == EditOp.RENAME
    assert Member.objects.get(pk=a.pk).merged_into_id is None


def test_rename_with_own_email_is_not_a_merge(conv):
    a = members_of(conv)[0]
    Member.objects.filter(pk=a.pk).update(email="ada@example.com")
    edit = member_rename(member=Member.objects.get(pk=a.pk), name="Ada", email="ADA@example.com")
    assert edit.op == EditOp.RENAME
    assert Member.objects.get(pk=a.pk).merged_into_id is None


# --- merge -----------------------------------------------------------------------------------


def test_merge_moves_messages_from_and_assignee_to_target(conv, editor):
    a, b, c = members_of(conv)
    before = snapshot(conv)

    edit = member_merge(source=a, target=b, user=editor)

    after = snapshot(conv)
    for pk, member_id in before["messages"].items():
        assert after["messages"][pk] == (b.pk if member_id == a.pk else member_id)
    for pk, (from_id, assignee_id, msgs) in before["insights"].items():
        assert after["insights"][pk] == (
            b.pk if from_id == a.pk else from_id,
            b.pk if assignee_id == a.pk else assignee_id,
            msgs,
        )
    assert after["members"][a.pk]["merged_into_id"] == b.pk
    assert after["members"][b.pk] == before["members"][b.pk]
    assert after["members"][c.pk] == before["members"][c.pk]
    assert a.merged_into_id == b.pk
    assert edit.op == EditOp.MERGE
    assert edit.user == editor
    assert edit.payload["by_email"] is False
    assert sorted(edit.payload["messages"]) == sorted(
        pk for pk, m in before["messages"].items() if m == a.pk
    )
    assert sorted(edit.payload["insights_from"]) == sorted(
        pk for pk, v in before["insights"].items() if v[0] == a.pk
    )
    assert sorted(edit.payload["insights_assignee"]) == sorted(
        pk for pk, v in before["insights"].items() if v[1] == a.pk
    )


def test_merge_leaves_diarized_member_unchanged(conv):
    a, b, _ = members_of(conv)
    diarized = snapshot(conv)["diarized"]
    member_merge(source=a, target=b)
    assert snapshot(conv)["diarized"] == diarized
    assert Message.objects.filter(diarized_member=a).exists()


def test_merge_update_count_does_not_depend_on_message_count(ws):
    counts = []
    for size in (10, 1000):
        conv = factories.conversation(ws, members=3, messages=size, insights=30, title=f"c{size}")
        a, b, _ = members_of(conv)
        with CaptureQueriesContext(connection) as ctx:
            member_merge(source=a, target=b)
        counts.append((len(all_updates(ctx.captured_queries)), len(ctx.captured_queries)))
        assert Message.objects.filter(conversation=conv, member=a).count() == 0
    assert counts[0] == counts[1]
    # messages, insight from, insight assignee and the source member row
    assert counts[0][0] == 4


def test_merge_into_itself_is_refused(conv):
    a = members_of(conv)[0]
    with pytest.raises(SpeakerOperationError):
        member_merge(source=a, target=a)
    assert not SpeakerEdit.objects.exists()


def test_merge_across_conversations_is_refused(ws, conv):
    other = factories.conversation(ws, members=2, messages=4, title="other")
    before = snapshot(conv)
    with pytest.raises(SpeakerOperationError):
        member_merge(source=members_of(conv)[0], target=members_of(other)[0])
    assert snapshot(conv) == before
    assert not SpeakerEdit.objects.exists()


def test_merge_of_already_merged_member_is_refused(conv):
    a, b, c = members_of(conv)
    member_merge(source=a, target=b)
    before = snapshot(conv)
    with pytest.raises(SpeakerOperationError):
        member_merge(source=Member.objects.get(pk=a.pk), target=c)
    with pytest.raises(SpeakerOperationError):
        member_merge(source=c, target=Member.objects.get(pk=a.pk))
    assert snapshot(conv) == before
    assert SpeakerEdit.objects.count() == 1


def test_merge_with_stale_instance_uses_database_state(conv):
    a, b, c = members_of(conv)
    stale_a = Member.objects.get(pk=a.pk)
    member_merge(source=a, target=b)
    with pytest.raises(SpeakerOperationError):
        member_merge(source=stale_a, target=c)


# --- reassign --------------------------------------------------------------------------------


def test_reassign_one_message(conv, editor):
    a, b, _ = members_of(conv)
    message = Message.objects.filter(member=a).first()

    edit = messages_reassign(messages=[message], member=b, user=editor)

    assert Message.objects.get(pk=message.pk).member_id == b.pk
    assert Message.objects.get(pk=message.pk).diarized_member_id == a.pk
    assert edit.op == EditOp.REASSIGN
    assert edit.user == editor
    assert edit.summary == "Reassigned 1 message to Speaker 2"
    assert edit.payload["member"] == b.pk
    assert edit.payload["messages"] == {str(message.pk): a.pk}


def test_reassign_several_messages_by_primary_key(conv):
    a, b, c = members_of(conv)
    ids = list(Message.objects.filter(member__in=[a, b]).values_list("pk", flat=True)[:4])
    before = snapshot(conv)

    edit = messages_reassign(messages=ids, member=c)

    after = snapshot(conv)
    for pk in before["messages"]:
        assert after["messages"][pk] == (c.pk if pk in ids else before["messages"][pk])
    assert edit.payload["messages"] == {str(pk): before["messages"][pk] for pk in ids}
    assert "4 messages" in edit.summary


def test_reassign_skips_messages_the_member_already_says(conv):
    a, b, _ = members_of(conv)
    mine = Message.objects.filter(member=b).first()
    theirs = Message.objects.filter(member=a).first()
    edit = messages_reassign(messages=[mine, theirs], member=b)
    assert edit.payload["messages"] == {str(theirs.pk): a.pk}


def test_reassign_makes_insight_follow_when_all_its_messages_have_one_speaker(conv):
    a, b, c = members_of(conv)
    message = Message.objects.filter(member=a).order_by("start").first()
    insight = Insight.objects.get(messages=message)
    assert (insight.from_member_id, insight.assignee_id) == (a.pk, b.pk)

    edit = messages_reassign(messages=[message], member=c)

    insight.refresh_from_db()
    assert insight.from_member_id == c.pk
    assert insight.assignee_id == b.pk
    assert edit.payload["insights_from"] == {str(insight.pk): a.pk}


def test_reassign_follows_when_remaining_messages_already_belong_to_target(conv):
    a, b, _ = members_of(conv)
    m_a = Message.objects.filter(member=a).first()
    m_b = Message.objects.filter(member=b).first()
    insight = add_insight(conv, messages=[m_a, m_b], from_member=a)

    messages_reassign(messages=[m_a], member=b)

    insight.refresh_from_db()
    assert insight.from_member_id == b.pk


def test_reassign_keeps_from_of_insight_with_messages_of_two_speakers(conv):
    a, b, c = members_of(conv)
    m_a = Message.objects.filter(member=a).first()
    m_b = Message.objects.filter(member=b).first()
    insight = add_insight(conv, messages=[m_a, m_b], from_member=a, assignee=b)

    edit = messages_reassign(messages=[m_a], member=c)

    insight.refresh_from_db()
    assert (insight.from_member_id, insight.assignee_id) == (a.pk, b.pk)
    assert str(insight.pk) not in edit.payload["insights_from"]


def test_reassign_leaves_insight_without_from_alone_and_undo_still_works(conv):
    a, b, _ = members_of(conv)
    m_a = Message.objects.filter(member=a).first()
    insight = add_insight(conv, messages=[m_a], from_member=None)
    before = snapshot(conv)
    earlier = member_rename(member=b, name="Bob")
    after_rename = snapshot(conv)

    edit = messages_reassign(messages=[m_a], member=b)

    insight.refresh_from_db()
    assert insight.from_member_id is None
    assert str(insight.pk) not in edit.payload["insights_from"]
    assert edit.member_ids() == {a.pk, b.pk}
    assert [e.pk for e in blocking_edits(earlier)] == [edit.pk]
    edit_undo(edit=edit)
    assert snapshot(conv) == after_rename
    edit_undo(edit=earlier)
    assert snapshot(conv) == before


def test_reassign_of_foreign_message_is_refused(ws, conv):
    other = factories.conversation(ws, members=2, messages=4, title="other")
    foreign = Message.objects.filter(conversation=other).first()
    own = Message.objects.filter(conversation=conv).first()
    target = members_of(conv)[2]
    before = snapshot(conv)

    with pytest.raises(SpeakerOperationError):
        messages_reassign(messages=[own, foreign], member=target)
    with pytest.raises(SpeakerOperationError):
        messages_reassign(messages=[own.pk, 10**9], member=target)

    assert snapshot(conv) == before
    assert Message.objects.get(pk=foreign.pk).member.conversation_id == other.pk
    assert not SpeakerEdit.objects.exists()


def test_reassign_to_the_same_member_is_refused(conv):
    a = members_of(conv)[0]
    ids = list(Message.objects.filter(member=a).values_list("pk", flat=True))
    before = snapshot(conv)
    with pytest.raises(SpeakerOperationError):
        messages_reassign(messages=ids, member=a)
    assert snapshot(conv) == before
    assert not SpeakerEdit.objects.exists()


def test_reassign_with_no_messages_is_refused(conv):
    with pytest.raises(SpeakerOperationError):
        messages_reassign(messages=[], member=members_of(conv)[0])


def test_reassign_to_merged_member_is_refused(conv):
    a, b, c = members_of(conv)
    member_merge(source=a, target=b)
    message = Message.objects.filter(member=c).first()
    with pytest.raises(SpeakerOperationError):
        messages_reassign(messages=[message], member=Member.objects.get(pk=a.pk))
    assert Message.objects.get(pk=message.pk).member_id == c.pk


# --- split -----------------------------------------------------------------------------------


def test_split_creates_named_member_and_moves_messages(conv, editor):
    a = members_of(conv)[0]
    ids = list(Message.objects.filter(member=a).values_list("pk", flat=True)[:2])

    edit, new = messages_split(conversation=conv, messages=ids, name=" Dana ", user=editor)

    new.refresh_from_db()
    assert (new.name, new.name_locked, new.merged_into_id) == ("Dana", True, None)
    assert new.conversation_id == conv.pk
    assert new.position > max(m.position for m in members_of(conv) if m.pk != new.pk)
    assert set(Message.objects.filter(member=new).values_list("pk", flat=True)) == set(ids)
    assert set(Message.objects.filter(pk__in=ids).values_list("diarized_member", flat=True)) == {
        a.pk
    }
    assert edit.op == EditOp.SPLIT
    assert edit.user == editor
    assert edit.payload["created"] is True
    assert edit.payload["member"] == new.pk
    assert edit.payload["messages"] == {str(pk): a.pk for pk in ids}


def test_split_undo_deletes_new_member_and_restores_messages(conv):
    a = members_of(conv)[0]
    message = Message.objects.filter(member=a).order_by("start").first()
    before = snapshot(conv)

    edit, new = messages_split(conversation=conv, messages=[message], name="Dana")
    # the insight tied only to this message followed its speaker
    assert Insight.objects.get(messages=message).from_member_id == new.pk

    edit_undo(edit=edit)

    assert not Member.objects.filter(pk=new.pk).exists()
    assert snapshot(conv) == before


@pytest.mark.parametrize("name", ["", "  ", None])
def test_split_without_name_is_refused(conv, name):
    message = Message.objects.filter(conversation=conv).first()
    before = snapshot(conv)
    with pytest.raises(SpeakerOperationError):
        messages_split(conversation=conv, messages=[message], name=name)
    assert snapshot(conv) == before


def test_split_of_foreign_messages_creates_nothing(ws, conv):
    other = factories.conversation(ws, members=2, messages=4, title="other")
    foreign = Message.objects.filter(conversation=other).first()
    before = snapshot(conv)
    with pytest.raises(SpeakerOperationError):
        messages_split(conversation=conv, messages=[foreign], name="Dana")
    assert snapshot(conv) == before
    assert not Member.objects.filter(name="Dana").exists()


# --- undo ------------------------------------------------------------------------------------


def _do_rename(conv):
    return member_rename(member=members_of(conv)[0], name="Ada")


def _do_rename_email(conv):
    return member_rename(member=members_of(conv)[0], name="Ada", email="ada@example.com")


def _do_merge_by_email(conv):
    a, b, _ = members_of(conv)
    assert b.email == "bob@example.com"
    return member_rename(member=a, name="Robert", email="BOB@example.com")


def _do_merge(conv):
    a, b, _ = members_of(conv)
    return member_merge(source=a, target=b)


def _do_reassign(conv):
    a, _, c = members_of(conv)
    ids = list(Message.objects.filter(member=a).values_list("pk", flat=True)[:2])
    return messages_reassign(messages=ids, member=c)


def _do_split(conv):
    ids = list(Message.objects.filter(conversation=conv).values_list("pk", flat=True)[::4])
    return messages_split(conversation=conv, messages=ids, name="Dana")[0]


OPS = {
    "rename": _do_rename,
    "rename_email": _do_rename_email,
    "merge_by_email": _do_merge_by_email,
    "merge": _do_merge,
    "reassign": _do_reassign,
    "split": _do_split,
}


@pytest.mark.parametrize("op", list(OPS))
def test_undo_restores_exact_prior_state(conv, editor, op):
    # the merge-by-email op gives member B its email first; that is part of the prior state
    Member.objects.filter(pk=members_of(conv)[1].pk).update(email="bob@example.com")
    before = snapshot(conv)

    edit = OPS[op](conv)
    assert snapshot(conv) != before

    undone = edit_undo(edit=edit, user=editor)

    assert snapshot(conv) == before
    assert undone.undone_at is not None
    assert undone.undone_by == editor
    assert undone.is_undone
    assert SpeakerEdit.objects.filter(conversation=conv).count() == 1


def test_undo_twice_is_refused(conv):
    edit = _do_merge(conv)
    edit_undo(edit=edit)
    after_first = snapshot(conv)
    with pytest.raises(SpeakerOperationError) as err:
        edit_undo(edit=edit)
    assert not isinstance(err.value, UndoConflict)
    assert snapshot(conv) == after_first


def test_undo_with_stale_edit_instance_is_refused(conv):
    edit = _do_rename(conv)
    stale = SpeakerEdit.objects.get(pk=edit.pk)
    edit_undo(edit=edit)
    with pytest.raises(SpeakerOperationError):
        edit_undo(edit=stale)


def test_undo_conflicts_with_later_edit_of_same_members(conv):
    a, b, _ = members_of(conv)
    original = snapshot(conv)
    rename = member_rename(member=a, name="Ada")
    merge = member_merge(source=Member.objects.get(pk=a.pk), target=b)
    after_both = snapshot(conv)

    with pytest.raises(UndoConflict) as err:
        edit_undo(edit=rename)

    assert [e.pk for e in err.value.blocking] == [merge.pk]
    assert merge.summary in str(err.value)
    assert [e.pk for e in blocking_edits(rename)] == [merge.pk]
    assert snapshot(conv) == after_both
    assert SpeakerEdit.objects.get(pk=rename.pk).undone_at is None

    edit_undo(edit=merge)
    assert blocking_edits(rename) == []
    edit_undo(edit=rename)
    assert snapshot(conv) == original


def test_undo_of_rename_refuses_to_give_back_an_email_another_member_took(conv):
    a, b, _ = members_of(conv)
    member_rename(member=a, name=a.name, email="ada@example.com")
    change = member_rename(member=Member.objects.get(pk=a.pk), name=a.name, email="ada@work.org")
    taken = member_rename(member=b, name=b.name, email="ada@example.com")
    assert Member.objects.get(pk=b.pk).merged_into_id is None  # nobody held it: no merge
    before = snapshot(conv)

    with pytest.raises(UndoConflict, match=r"ada@example\.com"):
        edit_undo(edit=change)

    assert snapshot(conv) == before
    assert SpeakerEdit.objects.get(pk=change.pk).undone_at is None
    edit_undo(edit=taken)
    edit_undo(edit=change)
    assert Member.objects.get(pk=a.pk).email == "ada@example.com"


def test_undo_of_merge_refuses_to_bring_back_an_email_another_member_took(conv):
    a, b, c = members_of(conv)
    Member.objects.filter(pk=a.pk).update(email="ada@example.com")
    merge = member_merge(source=Member.objects.get(pk=a.pk), target=b)
    taken = member_rename(member=c, name=c.name, email="ada@example.com")
    assert taken.op == "rename"  # a merged member holds it: no merge by email
    before = snapshot(conv)

    with pytest.raises(UndoConflict, match=r"ada@example\.com"):
        edit_undo(edit=merge)  # a live again with the email c has: two live holders

    assert snapshot(conv) == before
    edit_undo(edit=taken)
    edit_undo(edit=merge)
    assert Member.objects.get(pk=a.pk).merged_into_id is None


def test_undo_of_merge_waits_for_a_later_rename_that_took_its_email_and_gave_it_up(conv):
    """The email a merged member holds was taken by another member and then cleared: undoing
    the merge first would make undoing those renames, newest first, give the email to two
    live members. The later rename that would give it back blocks the undo instead."""
    a, b, c = members_of(conv)
    Member.objects.filter(pk=a.pk).update(email="ada@example.com")
    original = snapshot(conv)
    merge = member_merge(source=Member.objects.get(pk=a.pk), target=b)
    taken = member_rename(member=c, name="Cy", email="ada@example.com")
    cleared = member_rename(member=Member.objects.get(pk=c.pk), name="Cy", email="")
    before = snapshot(conv)

    with pytest.raises(UndoConflict) as refused:
        edit_undo(edit=merge)

    assert [e.pk for e in refused.value.blocking] == [cleared.pk]
    assert snapshot(conv) == before
    for edit in (cleared, taken, merge):
        edit_undo(edit=edit)
    assert snapshot(conv) == original


def test_undo_conflicts_when_later_reassign_moved_merged_messages(conv):
    a, b, c = members_of(conv)
    original = snapshot(conv)
    merge = member_merge(source=a, target=b)
    moved = Message.objects.filter(pk__in=merge.payload["messages"]).first()
    reassign = messages_reassign(messages=[moved], member=c)

    with pytest.raises(UndoConflict):
        edit_undo(edit=merge)

    edit_undo(edit=reassign)
    edit_undo(edit=merge)
    assert snapshot(conv) == original


def test_undo_conflicts_with_later_edit_of_split_member(conv):
    a = members_of(conv)[0]
    original = snapshot(conv)
    split, new = messages_split(
        conversation=conv, messages=[Message.objects.filter(member=a).first()], name="Dana"
    )
    rename = member_rename(member=new, name="Dana Scully")

    with pytest.raises(UndoConflict):
        edit_undo(edit=split)
    assert Member.objects.filter(pk=new.pk).exists()

    edit_undo(edit=rename)
    edit_undo(edit=split)
    assert snapshot(conv) == original


def test_unrelated_later_edits_do_not_block_undo(conv):
    a, b, c = members_of(conv)
    first = member_rename(member=a, name="Ada")
    later = member_rename(member=b, name="Bob")
    messages_reassign(messages=[Message.objects.filter(member=c).first()], member=b)

    assert blocking_edits(first) == []
    edit_undo(edit=first)

    assert Member.objects.get(pk=a.pk).name == "Speaker 1"
    assert Member.objects.get(pk=b.pk).name == "Bob"
    assert SpeakerEdit.objects.get(pk=later.pk).undone_at is None


def test_undone_later_edits_do_not_block_undo(conv):
    a, b, _ = members_of(conv)
    original = snapshot(conv)
    rename = member_rename(member=a, name="Ada")
    merge = member_merge(source=Member.objects.get(pk=a.pk), target=b)
    edit_undo(edit=merge)

    edit_undo(edit=rename)
    assert snapshot(conv) == original


def test_edits_of_other_conversations_do_not_block_undo(ws, conv):
    other = factories.conversation(ws, members=2, messages=4, title="other")
    first = _do_rename(conv)
    member_rename(member=members_of(other)[0], name="Other")
    assert blocking_edits(first) == []
    edit_undo(edit=first)


def test_undo_everything_newest_first_restores_original(conv):
    original = snapshot(conv)
    edits = [
        _do_rename(conv),
        _do_reassign(conv),
        _do_split(conv),
        member_merge(source=members_of(conv)[1], target=members_of(conv)[2]),
        member_rename(member=members_of(conv)[2], name="Carol", email="carol@example.com"),
    ]
    for edit in reversed(edits):
        edit_undo(edit=edit)
    assert snapshot(conv) == original
    assert SpeakerEdit.objects.filter(conversation=conv, undone_at__isnull=True).count() == 0
