"""Duplicate-speaker suggestions: the rules, the counts (equal to what a merge moves), the
dismissals and a query count that does not grow with messages."""

from __future__ import annotations

import itertools
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from diarization_portal.conversations.models import (
    Conversation,
    DuplicateDismissal,
    Insight,
    Job,
    JobKind,
    Member,
    Message,
)
from diarization_portal.conversations.services.duplicates import (
    duplicate_candidates,
    duplicate_dismiss,
    is_generic,
    normalise_name,
)
from diarization_portal.conversations.services.imports import file_import
from diarization_portal.conversations.services.speakers import (
    SpeakerOperationError,
    member_merge,
)
from tests import factories
from tests.conftest import SAMPLES

pytestmark = pytest.mark.django_db
_ids = itertools.count(1)


@pytest.fixture
def ws():
    return factories.workspace()


def summary(candidates) -> list[tuple[str, str, str]]:
    return [(c.source.name, c.target.name, c.reason) for c in candidates]


class Builder:
    """A conversation made of recordings (jobs) with speakers talking at given times."""

    def __init__(self, ws):
        self.conv = Conversation.objects.create(workspace=ws, title="Built")
        self.position = 0

    def recording(self) -> Job:
        return Job.objects.create(conversation=self.conv, kind=JobKind.IMPORT)

    def member(self, name: str, **fields) -> Member:
        self.position += 1
        return Member.objects.create(
            conversation=self.conv, name=name, position=self.position, **fields
        )

    def say(self, member: Member, job: Job, *spans: tuple[float, float]) -> None:
        Message.objects.bulk_create(
            Message(
                conversation=self.conv,
                external_id=f"b{next(_ids)}",
                member=member,
                diarized_member=member,
                text="words",
                start=start,
                end=end,
                job=job,
            )
            for start, end in spans
        )


# --- names --------------------------------------------------------------------------------------


def test_names_are_normalised_for_case_accents_and_spaces():
    assert normalise_name("  Renée   DUPONT ") == normalise_name("renee dupont") == "renee dupont"
    assert normalise_name("Zoë Ñúñez") == "zoe nunez"


@pytest.mark.parametrize(
    "name", ["Speaker 1", "speaker_0", "SPEAKER_00", "spk00", "spk_3", "Speaker B", "unknown"]
)
def test_generic_labels_are_recognised(name):
    assert is_generic(name)


@pytest.mark.parametrize("name", ["Priya Natarajan", "spk_agent", "Speaker Phone", "Jon"])
def test_names_are_not_generic(name):
    assert not is_generic(name)


# --- rules --------------------------------------------------------------------------------------


def test_same_name_suggests_the_later_member_into_the_earlier_one(ws):
    b = Builder(ws)
    r1, r2 = b.recording(), b.recording()
    renee, again = b.member("Renée Dupont"), b.member("  renee  DUPONT")
    other = b.member("Max")
    b.say(renee, r1, (0, 30))
    b.say(other, r1, (30, 60))
    b.say(again, r2, (100, 130))
    b.say(other, r2, (130, 160))
    [c] = [c for c in duplicate_candidates(conversation=b.conv) if c.reason == "same_name"]
    assert (c.source, c.target, c.score) == (again, renee, 0.9)
    assert c.detail == "Both are called “Renée Dupont”."


def test_same_email_wins_over_same_name_and_pairs_appear_once(ws):
    b = Builder(ws)
    r1, r2 = b.recording(), b.recording()
    a = b.member("Ada", email="ada@example.com")
    a2 = b.member("ada", email="ADA@example.com")
    b.say(a, r1, (0, 10))
    b.say(a2, r2, (20, 30))
    candidates = duplicate_candidates(conversation=b.conv)
    assert summary(candidates) == [("ada", "Ada", "same_email")]
    assert candidates[0].score == 1.0


def test_the_demo_append_suggests_priya_and_the_unnamed_speakers_by_turn_order(ws):
    conv = file_import(
        workspace=ws,
        data=(SAMPLES / "weekly-sync.symbl.json").read_bytes(),
        source_name="weekly-sync.symbl.json",
    ).conversation
    file_import(
        workspace=ws,
        data=(SAMPLES / "weekly-sync-part2.srt").read_bytes(),
        source_name="weekly-sync-part2.srt",
        into=conv,
    )
    candidates = duplicate_candidates(conversation=conv)
    assert summary(candidates) == [
        ("Priya Natarajan", "Priya Natarajan", "same_name"),
        ("Speaker A", "Speaker 1", "same_position"),
        ("Speaker B", "Speaker 2", "same_position"),
    ]
    priya = candidates[0]
    assert priya.target.email == "priya@example.com"  # the first recording's member survives
    assert (priya.messages_moved, priya.insights_moved) == (6, 0)
    assert candidates[1].detail == (
        "Speaker A is the 2nd voice to speak in recording 2, Speaker 1 the 2nd in recording 1."
    )
    # once Speaker A is merged, Speaker 1 speaks in recording 2: it is not offered again
    member_merge(source=candidates[1].source, target=candidates[1].target)
    assert summary(duplicate_candidates(conversation=conv)) == [
        ("Priya Natarajan", "Priya Natarajan", "same_name"),
        ("Speaker B", "Speaker 2", "same_position"),
    ]


def test_generic_labels_never_match_by_name_alone(ws):
    b = Builder(ws)
    r1 = b.recording()
    one, other = b.member("Speaker 1"), b.member("speaker 1", channel=1)
    b.say(one, r1, (0, 30))
    b.say(other, r1, (30, 60))
    assert duplicate_candidates(conversation=b.conv) == []


def test_a_fragment_with_little_talk_goes_to_who_talks_in_its_span(ws):
    b = Builder(ws)
    r1 = b.recording()
    alice, bob, blip = b.member("Alice"), b.member("Bob"), b.member("spk_07")
    b.say(bob, r1, (0, 100))
    b.say(alice, r1, (100, 150), (152, 200))
    b.say(blip, r1, (150, 152))
    b.say(bob, r1, (200, 260))
    [c] = duplicate_candidates(conversation=b.conv)
    assert (c.source, c.target, c.reason) == (blip, alice, "little_talk")
    assert c.detail == (
        "spk_07 speaks only 2.0 s (0.8% of the speech), between turns of Alice (2 of 2 neighbours)."
    )
    assert 0.3 < c.score <= 0.6


def test_little_talk_skips_people_somebody_named_or_gave_an_email(ws):
    b = Builder(ws)
    r1 = b.recording()
    alice = b.member("Alice")
    named = b.member("Guest", name_locked=True)
    mailed = b.member("spk_9", email="guest@example.com")
    b.say(alice, r1, (0, 300))
    b.say(named, r1, (10, 12))
    b.say(mailed, r1, (20, 22))
    assert duplicate_candidates(conversation=b.conv) == []


def test_little_talk_threshold_is_five_percent_and_under_a_minute(ws):
    b = Builder(ws)
    r1 = b.recording()
    host, quiet = b.member("Host"), b.member("Speaker 2")
    b.say(host, r1, (0, 2000))
    b.say(quiet, r1, (2000, 2070))  # 3.4% of the speech but 70 s: a real participant
    assert duplicate_candidates(conversation=b.conv) == []


def test_merged_members_and_other_conversations_are_never_suggested(ws):
    b = Builder(ws)
    r1, r2 = b.recording(), b.recording()
    ada, ada2, ada3 = b.member("Ada"), b.member("Ada"), b.member("Ada")
    b.say(ada, r1, (0, 10))
    b.say(ada2, r2, (20, 30))
    b.say(ada3, r2, (40, 50))
    member_merge(source=ada3, target=ada2)
    other = Builder(ws)
    other.say(other.member("Ada"), other.recording(), (0, 10))
    [c] = duplicate_candidates(conversation=b.conv)
    assert (c.source, c.target) == (ada2, ada)
    assert c.messages_moved == 2  # ada3's message now belongs to ada2


def test_a_dismissed_pair_is_not_suggested_either_way(ws, django_user_model):
    b = Builder(ws)
    r1, r2 = b.recording(), b.recording()
    ada, ada2 = b.member("Ada"), b.member("Ada")
    b.say(ada, r1, (0, 10))
    b.say(ada2, r2, (20, 30))
    first = duplicate_dismiss(source=ada, target=ada2)
    assert duplicate_candidates(conversation=b.conv) == []
    assert duplicate_dismiss(source=ada2, target=ada) == first  # idempotent, either order
    assert DuplicateDismissal.objects.count() == 1
    with pytest.raises(SpeakerOperationError, match="always the same as itself"):
        duplicate_dismiss(source=ada, target=ada)
    stranger = factories.conversation(ws).members.first()
    with pytest.raises(SpeakerOperationError, match="same conversation"):
        duplicate_dismiss(source=ada, target=stranger)


# --- counts equal what the merge moves ----------------------------------------------------------


def test_counts_are_exactly_what_member_merge_moves(ws):
    conv = factories.conversation(ws, members=4, messages=60, insights=15)
    s1, s2, s3, s4 = conv.members.order_by("position")
    Member.objects.filter(pk=s4.pk).update(name="Speaker One", name_locked=True)
    Member.objects.filter(pk=s1.pk).update(name="speaker  one", name_locked=True)
    Member.objects.filter(pk=s3.pk).update(email="three@example.com")
    Member.objects.filter(pk=s2.pk).update(email="three@example.com")
    Insight.objects.create(
        conversation=conv, external_id="self", type="action_item", text="x", from_member=s4,
        assignee=s4,
    )  # fmt: skip
    Insight.objects.create(
        conversation=conv, external_id="to-3", type="question", text="y", assignee=s3
    )
    checked = 0
    while candidates := duplicate_candidates(conversation=conv):
        c = candidates[0]
        edit = member_merge(source=c.source, target=c.target)
        moved = edit.payload
        assert c.messages_moved == len(moved["messages"])
        assert c.insights_from == len(moved["insights_from"])
        assert c.insights_assignee == len(moved["insights_assignee"])
        touched = set(moved["insights_from"]) | set(moved["insights_assignee"])
        assert c.insights_moved == len(touched)
        checked += 1
    assert checked == 2
    assert conv.members.live().count() == 2


# --- query count --------------------------------------------------------------------------------


def _with_duplicates(ws, messages: int) -> Conversation:
    """Two recordings: Ada and Bo alternate, a one-message fragment sits in Ada's talk,
    Ada again in the second recording; insights from and to everyone."""
    b = Builder(ws)
    r1, r2 = b.recording(), b.recording()
    ada, bo, blip, ada2 = b.member("Ada"), b.member("Bo"), b.member("spk_9"), b.member("ADA ")
    half = messages // 2
    b.say(ada, r1, *[(4.0 * i, 4.0 * i + 2) for i in range(half)])
    b.say(bo, r1, *[(4.0 * i + 2, 4.0 * i + 4) for i in range(half)])
    b.say(blip, r1, (1.0, 1.5))
    b.say(ada2, r2, *[(10_000.0 + i, 10_000.5 + i) for i in range(messages - half)])
    Insight.objects.bulk_create(
        Insight(
            conversation=b.conv,
            external_id=f"q{i}",
            type="question",
            text="?",
            from_member=[ada, bo, ada2][i % 3],
            assignee=[bo, ada2, ada][i % 3],
        )
        for i in range(max(3, messages // 3))
    )
    return b.conv


def test_query_count_does_not_grow_with_messages(ws):
    counts = []
    for size in (10, 1000):
        conv = _with_duplicates(ws, size)
        with CaptureQueriesContext(connection) as ctx:
            found = duplicate_candidates(conversation=conv)
        assert [c.reason for c in found] == ["same_name", "little_talk"]
        counts.append(len(ctx))
    assert counts == [5, 5], counts


def test_demo_setup_shows_suggestions_on_the_weekly_sync():
    call_command("demo_setup", stdout=StringIO())
    sync = Conversation.objects.get(title="Weekly product sync")
    assert [c.reason for c in duplicate_candidates(conversation=sync)] == [
        "same_name",
        "same_position",
        "same_position",
    ]
