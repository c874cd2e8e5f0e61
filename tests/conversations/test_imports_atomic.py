"""Imports are atomic: a file import (new conversation or appended recording), the
``import_conversation`` command and ``demo_setup`` fail after any of their writes without a
trace (DESIGN §4). Helpers: :mod:`tests.atomicity`."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from diarization_portal.conversations.models import Conversation, Insight, Job, Member, Message
from diarization_portal.conversations.services.imports import file_import, transcript_import
from diarization_portal.conversations.services.speakers import member_merge
from diarization_portal.workspaces.models import Workspace
from providers.types import Speaker, Transcript, Utterance
from tests import factories
from tests.atomicity import before_lock, every_write_fails, half_way, nothing_changes
from tests.conftest import SAMPLES

pytestmark = pytest.mark.django_db(transaction=True)


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def test_a_file_import_and_an_append_fail_half_way_without_a_trace_then_import():
    ws = factories.workspace()

    result = every_write_fails(
        lambda: file_import(
            workspace=ws, data=sample("weekly-sync.symbl.json"), source_name="weekly.json"
        )
    )
    conv = result.conversation
    assert result.created["insights"] == Insight.objects.filter(conversation=conv).count() > 0
    end = max(Message.objects.filter(conversation=conv).values_list("end", flat=True))

    appended = every_write_fails(
        lambda: file_import(
            workspace=ws,
            data=sample("weekly-sync-part2.srt"),
            source_name="part2.srt",
            into=conv,
        )
    )
    assert appended.created["messages"] > 0 and appended.job.time_offset == end
    assert Job.objects.filter(conversation=conv).count() == 2


def test_import_command_with_a_bad_file_writes_nothing_not_even_the_default_workspace(tmp_path):
    bad = tmp_path / "bad.rttm"
    bad.write_text("SPEAKER rec 1 0.00 not-a-number <NA> <NA> spk0 <NA> <NA>\n")

    with nothing_changes(), pytest.raises(CommandError, match=r"bad\.rttm"):
        call_command("import_conversation", str(bad), stdout=StringIO(), stderr=StringIO())
    assert not Workspace.objects.exists()

    good = tmp_path / "review.vtt"
    good.write_bytes(sample("design-review.vtt"))
    half_way(
        lambda: call_command("import_conversation", str(good), stdout=StringIO(), stderr=StringIO())
    )
    call_command("import_conversation", str(good), stdout=StringIO(), stderr=StringIO())
    assert Workspace.objects.get().slug == "default"
    assert Conversation.objects.count() == 1


def test_demo_setup_fails_half_way_without_a_trace():
    # The user, the first import's job, the third conversation, the appended recording's
    # members (20 writes in all).
    for nth in (2, 5, 12, 19):
        half_way(lambda: call_command("demo_setup", stdout=StringIO()), nth=nth)
    call_command("demo_setup", stdout=StringIO())
    assert Conversation.objects.count() == 3


def test_an_import_points_new_lines_at_live_members_read_once_it_holds_them():
    ws = factories.workspace()
    speakers = [Speaker(label="u1", name="Ada"), Speaker(label="u2", name="Grace")]

    def recording(*ids: str) -> Transcript:
        turns = [
            Utterance(f"u{1 + i % 2}", start=i, end=i + 0.5, text=ext, external_id=ext)
            for i, ext in enumerate(ids)
        ]
        return Transcript("symbl", speakers, turns, global_speaker_ids=True)

    def imported(transcript: Transcript, sha: str, into=None):
        return transcript_import(
            workspace=ws, transcript=transcript, source_name=sha, sha256=sha * 64, into=into
        )

    conv = imported(recording("m0", "m1"), "a").conversation
    ada, grace = Member.objects.filter(conversation=conv).order_by("position")

    def merged_meanwhile():  # another transaction merges Ada into Grace before the lock
        member_merge(source=ada, target=grace)

    with before_lock(Member, merged_meanwhile) as locks:
        imported(recording("m0", "m1", "m2"), "b", into=conv)
    assert locks
    late = Message.objects.get(conversation=conv, external_id="m2")
    assert (late.diarized_member_id, late.member_id) == (ada.pk, grace.pk)
