"""Random sequences of speaker operations keep the invariants of DESIGN §2, and undoing every
still-active edit newest-first gives back the original attribution exactly.

Each hypothesis example builds a small conversation (3 to 4 members, 12 messages, 6 insights with
one or two messages each) and applies up to 15 operations drawn at random: rename, rename with
another member's email (Symbl's merge-by-email), merge, reassign, split and undo of any edit.
A refused operation (:class:`SpeakerOperationError`, :class:`UndoConflict`) must change nothing.
Invariant 4 (idempotent import) is covered by the import tests; here we only check that
``diarized_member`` never changes.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

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
    edit_undo,
    member_merge,
    member_rename,
    messages_reassign,
    messages_split,
)
from tests import factories

N_MESSAGES = 12
N_INSIGHTS = 6
MAX_STEPS = 15
NAMES = ["Ada", "Bob", "Speaker 1", "Dana Scully", "", "   "]
EMAILS = ["", "ada@example.com", "New@Example.com", "speaker1@example.com"]
# raise for a longer hunt: SPEAKER_PROPERTY_EXAMPLES=1000 pytest tests/conversations
MAX_EXAMPLES = int(os.environ.get("SPEAKER_PROPERTY_EXAMPLES", "60"))
OPS = ["rename", "rename_email", "merge", "reassign", "split", "undo", "undo"]


# --- building and observing a conversation ---------------------------------------------------


def build(data) -> tuple[Conversation, Conversation]:
    """A random small conversation, and a second one whose rows serve as foreign references."""
    ws = factories.workspace()
    conv = Conversation.objects.create(workspace=ws, title="Property")
    n = data.draw(st.integers(3, 4), label="members")
    has_email = data.draw(st.lists(st.booleans(), min_size=n, max_size=n), label="has_email")
    members = [
        Member.objects.create(
            conversation=conv,
            name=f"Speaker {i + 1}",
            email=f"speaker{i + 1}@example.com" if has_email[i] else "",
            vendor_label=f"spk{i}",
            position=i,
        )
        for i in range(n)
    ]
    said_by = data.draw(
        st.lists(st.integers(0, n - 1), min_size=N_MESSAGES, max_size=N_MESSAGES), label="said_by"
    )
    messages = Message.objects.bulk_create(
        Message(
            conversation=conv,
            external_id=f"m{i}",
            member=members[who],
            diarized_member=members[who],
            text=f"utterance {i}",
            start=2.0 * i,
            end=2.0 * i + 1.5,
        )
        for i, who in enumerate(said_by)
    )
    someone = st.one_of(st.integers(0, n - 1), st.none())
    for j in range(N_INSIGHTS):
        picked = data.draw(
            st.lists(st.integers(0, N_MESSAGES - 1), min_size=1, max_size=2, unique=True),
            label=f"insight{j}_messages",
        )
        # mostly the speaker of the first message, sometimes anyone or nobody
        from_ix = data.draw(st.one_of(st.just(said_by[picked[0]]), someone), label="from")
        assignee_ix = data.draw(someone, label="assignee")
        insight = Insight.objects.create(
            conversation=conv,
            external_id=f"i{j}",
            type=InsightType.values[j % 3],
            text=f"insight {j}",
            from_member=None if from_ix is None else members[from_ix],
            assignee=None if assignee_ix is None else members[assignee_ix],
        )
        insight.messages.set([messages[k] for k in picked])
    other = factories.conversation(ws, members=2, messages=2, title="Other")
    Member.objects.filter(conversation=other).update(email="speaker1@example.com")
    return conv, other


def attribution(conv: Conversation) -> dict:
    """Who said what, who raised and owns each insight, and every member row of ``conv``."""
    return {
        "members": {
            m["pk"]: m
            for m in Member.objects.filter(conversation=conv).values(
                "pk", "name", "email", "name_locked", "email_locked", "merged_into_id", "position"
            )
        },
        "messages": dict(Message.objects.filter(conversation=conv).values_list("pk", "member_id")),
        "insights": {
            pk: (f, a)
            for pk, f, a in Insight.objects.filter(conversation=conv).values_list(
                "pk", "from_member_id", "assignee_id"
            )
        },
    }


def edit_state(conv: Conversation) -> dict:
    return dict(SpeakerEdit.objects.filter(conversation=conv).values_list("pk", "undone_at"))


def fixed_facts(conv: Conversation) -> dict:
    """What no speaker operation may ever change: texts, diarization, insight ↔ message links."""
    through = Insight.messages.through
    return {
        "messages": set(
            Message.objects.filter(conversation=conv).values_list(
                "pk", "external_id", "text", "start", "end", "diarized_member_id"
            )
        ),
        "insights": set(
            Insight.objects.filter(conversation=conv).values_list("pk", "external_id", "text")
        ),
        "links": set(
            through.objects.filter(insight__conversation=conv).values_list(
                "insight_id", "message_id"
            )
        ),
    }


def live_view(state: dict) -> dict:
    """Live members with their names and emails, from an :func:`attribution` snapshot."""
    return {
        pk: (m["name"], m["email"])
        for pk, m in state["members"].items()
        if m["merged_into_id"] is None
    }


# --- the test --------------------------------------------------------------------------------


def email_held_elsewhere(conv, edit: SpeakerEdit) -> bool:
    """True when ``edit`` is a rename whose previous email, or a merge whose merged member's
    email, another live member of ``conv`` holds now (undoing it would give two live members
    one email)."""
    if edit.op == EditOp.RENAME:
        member, email = edit.payload["member"], edit.payload["before"].get("email")
    elif edit.op == EditOp.MERGE:
        member = edit.payload["source"]
        email = Member.objects.get(pk=member).email
    else:
        return False
    if not email:
        return False
    return (
        Member.objects.live()
        .filter(conversation=conv, email__iexact=email)
        .exclude(pk=member)
        .exists()
    )


class SpeakerOperationProperties(TestCase):
    def test_message_and_insight_have_no_name_fields(self):
        """Invariant 1: names live only on Member; Message and Insight hold foreign keys."""
        for model in (Message, Insight):
            copied = [
                f.name
                for f in model._meta.get_fields()
                if getattr(f, "concrete", False)
                and not f.is_relation
                and any(word in f.name for word in ("name", "email", "speaker", "label"))
            ]
            assert copied == [], f"{model.__name__} copies member fields: {copied}"
        assert Message._meta.get_field("member").related_model is Member
        assert Insight._meta.get_field("from_member").related_model is Member
        assert Insight._meta.get_field("assignee").related_model is Member

    # --- per-step checks -----------------------------------------------------------------

    def check_invariants(self, conv, *, facts, counts, original_members) -> tuple[int, int, int]:
        members = {m.pk: m for m in Member.objects.filter(conversation=conv)}
        live = {pk for pk, m in members.items() if m.merged_into_id is None}

        # 1. every displayed name is the member row's name, read through the foreign key
        for message in Message.objects.filter(conversation=conv).select_related("member"):
            assert message.member.name == members[message.member_id].name
        for insight in Insight.objects.filter(conversation=conv).select_related(
            "from_member", "assignee"
        ):
            if insight.from_member_id is not None:
                assert insight.from_member.name == members[insight.from_member_id].name
            if insight.assignee_id is not None:
                assert insight.assignee.name == members[insight.assignee_id].name

        # 2. references point at live members of the same conversation
        for member_id in Message.objects.filter(conversation=conv).values_list(
            "member_id", flat=True
        ):
            assert member_id in live, f"message points at non-live member {member_id}"
        for pk, from_id, assignee_id in Insight.objects.filter(conversation=conv).values_list(
            "pk", "from_member_id", "assignee_id"
        ):
            assert from_id is None or from_id in live, f"insight {pk} from {from_id}"
            assert assignee_id is None or assignee_id in live, f"insight {pk} to {assignee_id}"
        for m in members.values():
            if m.merged_into_id is not None:
                assert m.merged_into_id in members and m.merged_into_id != m.pk
        assert original_members <= set(members), "an imported member was deleted"

        # 3. nothing is lost; edits only grow.  4. diarization and texts never change
        assert fixed_facts(conv) == facts
        now = (
            Message.objects.filter(conversation=conv).count(),
            Insight.objects.filter(conversation=conv).count(),
            SpeakerEdit.objects.filter(conversation=conv).count(),
        )
        assert now[:2] == counts[:2]
        assert now[2] >= counts[2]
        return now

    # --- random operations ---------------------------------------------------------------

    def apply(self, data, conv, other):
        """Draw one operation and run it. Returns ``(kind, expected_ok or None, run)``."""
        kind = data.draw(st.sampled_from(OPS), label="op")
        members = list(Member.objects.filter(conversation=conv).order_by("pk"))
        live = [m for m in members if m.merged_into_id is None]
        message_ids = list(
            Message.objects.filter(conversation=conv).order_by("pk").values_list("pk", flat=True)
        )
        foreign_message = Message.objects.filter(conversation=other).first()
        foreign_member = Member.objects.filter(conversation=other).first()
        any_member = st.sampled_from(members)

        def some_messages(max_size):
            ids = data.draw(
                st.lists(st.sampled_from(message_ids), min_size=1, max_size=max_size, unique=True)
            )
            if data.draw(st.integers(0, 9), label="foreign?") == 0:
                ids.append(foreign_message.pk)
            return ids

        if kind in ("rename", "rename_email"):
            member = data.draw(any_member, label="member")
            name = data.draw(st.sampled_from([*NAMES, member.name]), label="name")
            if kind == "rename":
                email = data.draw(st.one_of(st.none(), st.sampled_from(EMAILS)), label="email")
            else:
                owner = data.draw(any_member, label="email of")
                email = data.draw(
                    st.sampled_from([owner.email, owner.email.upper(), owner.email.swapcase()]),
                    label="email case",
                )
            clean = name.strip()
            target = email and next(
                (m for m in live if m.pk != member.pk and m.email.lower() == email.lower()), None
            )
            if not clean or member.merged_into_id is not None:
                expected = False
            elif target:
                expected = EditOp.MERGE
            else:
                changes = clean != member.name or not member.name_locked
                if email is not None:
                    changes = changes or email.lower() != member.email or not member.email_locked
                expected = EditOp.RENAME if changes else False
            return kind, expected, lambda: member_rename(member=member, name=name, email=email)

        if kind == "merge":
            source = data.draw(any_member, label="source")
            target = data.draw(st.sampled_from([*members, foreign_member]), label="target")
            expected = (
                EditOp.MERGE
                if source.pk != target.pk
                and target.conversation_id == conv.pk
                and source.merged_into_id is None
                and target.merged_into_id is None
                else False
            )
            return kind, expected, lambda: member_merge(source=source, target=target)

        if kind == "reassign":
            ids = some_messages(4)
            target = data.draw(any_member, label="to")
            current = dict(Message.objects.filter(pk__in=ids).values_list("pk", "member_id"))
            expected = (
                EditOp.REASSIGN
                if target.merged_into_id is None
                and foreign_message.pk not in ids
                and any(v != target.pk for v in current.values())
                else False
            )
            return kind, expected, lambda: messages_reassign(messages=ids, member=target)

        if kind == "split":
            ids = some_messages(3)
            name = data.draw(st.sampled_from(["Dana", "Eve", "", " "]), label="new name")
            expected = EditOp.SPLIT if name.strip() and foreign_message.pk not in ids else False
            return (
                kind,
                expected,
                lambda: messages_split(conversation=conv, messages=ids, name=name)[0],
            )

        edits = list(SpeakerEdit.objects.filter(conversation=conv).order_by("pk"))
        if not edits:
            return kind, None, None
        active = [e for e in edits if e.undone_at is None]
        pick = st.sampled_from(edits)
        if active:  # mostly an active edit (may conflict), sometimes any (may be undone already)
            pick = st.one_of(st.sampled_from(active), st.sampled_from(active), pick)
        edit = data.draw(pick, label="undo edit")
        return kind, ("undo", edit), lambda: edit_undo(edit=edit)

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    )
    @given(data=st.data())
    def test_random_operations_keep_invariants_and_undo_restores_original(self, data):
        conv, other = build(data)
        original = attribution(conv)
        original_members = set(original["members"])
        facts = fixed_facts(conv)
        counts = (N_MESSAGES, N_INSIGHTS, 0)
        self.check_invariants(conv, facts=facts, counts=counts, original_members=original_members)
        other_before = attribution(other)
        # (edit pk, state before it) when the previous step applied a new edit
        just_done: tuple[int, dict] | None = None

        steps = data.draw(st.integers(3, MAX_STEPS), label="steps")
        for _ in range(steps):
            kind, expected, run = self.apply(data, conv, other)
            if run is None:
                continue
            before, edits_before = attribution(conv), edit_state(conv)
            try:
                result = run()
            except SpeakerOperationError as err:
                event(f"{kind}: {'conflict' if isinstance(err, UndoConflict) else 'refused'}")
                assert attribution(conv) == before, f"refused {kind} changed the conversation"
                assert edit_state(conv) == edits_before, f"refused {kind} changed the edits"
                if isinstance(expected, tuple):  # undo
                    edit = expected[1]
                    if edits_before[edit.pk] is None:
                        assert isinstance(err, UndoConflict), err
                        # no blocking edit: a rename would give back an email held now
                        assert err.blocking or email_held_elsewhere(conv, edit), err
                        assert all(b.pk > edit.pk and b.undone_at is None for b in err.blocking)
                    else:
                        assert not isinstance(err, UndoConflict), err
                else:
                    assert expected is False, f"{kind} refused unexpectedly: {err}"
            else:
                event(f"{kind}: applied ({getattr(result, 'op', '')})")
                if isinstance(expected, tuple):
                    edit = expected[1]
                    assert edits_before[edit.pk] is None, "an undone edit was undone again"
                    assert result.undone_at is not None
                    assert len(edit_state(conv)) == len(edits_before)
                    if just_done is not None and just_done[0] == edit.pk:
                        assert attribution(conv) == just_done[1], "undo did not restore state"
                    just_done = None
                else:
                    assert expected, f"{kind} succeeded but should have been refused"
                    assert result.op == expected
                    assert result.conversation_id == conv.pk
                    assert len(edit_state(conv)) == len(edits_before) + 1
                    just_done = (result.pk, before)
            counts = self.check_invariants(
                conv, facts=facts, counts=counts, original_members=original_members
            )

        assert attribution(other) == other_before, "an operation reached another conversation"

        # undo every still-active edit, newest first: each must succeed
        for edit in SpeakerEdit.objects.filter(conversation=conv, undone_at__isnull=True).order_by(
            "-pk"
        ):
            edit_undo(edit=edit)
            counts = self.check_invariants(
                conv, facts=facts, counts=counts, original_members=original_members
            )
        final = attribution(conv)
        assert final["messages"] == original["messages"]
        assert final["insights"] == original["insights"]
        assert live_view(final) == live_view(original)
        assert final["members"] == original["members"]
