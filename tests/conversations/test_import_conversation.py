"""``manage.py import_conversation`` on the bundled samples and the real public files."""

from __future__ import annotations

import json
import shutil
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from diarization_portal.conversations.models import (
    Conversation,
    Insight,
    Job,
    Member,
    Message,
)
from diarization_portal.conversations.services import speakers
from tests import factories
from tests.conftest import SAMPLES

pytestmark = pytest.mark.django_db


def run_import(*args: str) -> dict:
    out = StringIO()
    call_command("import_conversation", *args, stdout=out, stderr=StringIO())
    return json.loads(out.getvalue().strip().splitlines()[-1])


def snapshot(conversation_id: int) -> tuple:
    """Every row of a conversation that an import could change."""
    return (
        sorted(Member.objects.filter(conversation_id=conversation_id).values_list()),
        sorted(Message.objects.filter(conversation_id=conversation_id).values_list()),
        sorted(Insight.objects.filter(conversation_id=conversation_id).values_list()),
        sorted(
            Insight.messages.through.objects.filter(
                insight__conversation_id=conversation_id
            ).values_list("insight_id", "message_id")
        ),
    )


@pytest.fixture
def ws():
    return factories.workspace("Imports")


@pytest.mark.parametrize(
    ("relpath", "members", "messages"),
    [
        ("rttm/voxconverse-dev/kdfqk.rttm", 20, 170),
        ("rttm/voxconverse-dev/ngyrk.rttm", 2, 22),
        ("rttm/voxconverse-dev/ezsgk.rttm", 3, 52),
        ("rttm/voxconverse-dev/luvfz.rttm", 7, 53),
        ("rttm/ami-only_words-train/ES2002a.rttm", 4, 236),
        ("rttm/ami-only_words-train/ES2005a.rttm", 4, 76),
        ("rttm/earnings21/4386541.rttm", 5, 276),
        ("transcripts/podcast/example.vtt", 2, 7),
    ],
)
def test_real_files_import_with_the_counts_of_their_readme(
    ws, real_data, relpath, members, messages
):
    result = run_import(str(real_data / relpath), "--workspace", ws.slug)
    conv = Conversation.objects.get(pk=result["conversation"])
    assert (result["members"], result["messages"]) == (members, messages)
    assert conv.members.count() == members
    assert conv.messages.count() == messages
    assert result["created"] == {"members": members, "messages": messages, "insights": 0}


def test_vtt_voice_names_become_member_names(ws, real_data):
    result = run_import(str(real_data / "transcripts/podcast/example.vtt"), "--workspace", ws.slug)
    conv = Conversation.objects.get(pk=result["conversation"])
    assert sorted(conv.members.values_list("name", flat=True)) == ["Gillian", "Sarah"]
    assert all(m.text for m in conv.messages.all())


def test_symbl_sample_brings_members_messages_and_insights_with_references(ws):
    result = run_import(str(SAMPLES / "weekly-sync.symbl.json"), "--workspace", ws.slug)
    assert (result["members"], result["messages"], result["insights"]) == (4, 47, 10)
    conv = Conversation.objects.get(pk=result["conversation"])
    assert conv.title == "Weekly product sync"
    speaker1 = conv.members.get(name="Speaker 1")
    assert speaker1.messages.count() == 15
    assert conv.insights.filter(assignee=speaker1).count() >= 2
    assert conv.insights.filter(type="action_item").count() == 5
    # Every insight links to messages of the conversation.
    assert all(i.messages.exists() for i in conv.insights.all())


def test_reimporting_the_same_file_changes_nothing(ws):
    path = str(SAMPLES / "weekly-sync.symbl.json")
    first = run_import(path, "--workspace", ws.slug)
    conv_id = first["conversation"]
    before = snapshot(conv_id)
    again = run_import(path, "--into", str(conv_id))
    assert again["conversation"] == conv_id
    assert again["created"] == {"members": 0, "messages": 0, "insights": 0}
    assert snapshot(conv_id) == before
    assert Job.objects.filter(conversation_id=conv_id).count() == 1


def test_reimport_never_overwrites_a_name_set_by_hand(ws, tmp_path):
    path = SAMPLES / "weekly-sync.symbl.json"
    conv_id = run_import(str(path), "--workspace", ws.slug)["conversation"]
    member = Member.objects.get(conversation_id=conv_id, name="Speaker 1")
    speakers.member_rename(member=member, name="Ada Lovelace", email="ada@example.com")
    # The vendor renamed the same member in a later result: a person's name still wins.
    data = json.loads(path.read_text())
    for m in data["members"]:
        if m["id"] == member.vendor_label:
            m["name"], m["email"] = "Vendor Name", "vendor@example.com"
    changed = tmp_path / "weekly-sync-v2.json"
    changed.write_text(json.dumps(data))
    run_import(str(changed), "--into", str(conv_id))
    member.refresh_from_db()
    assert (member.name, member.email) == ("Ada Lovelace", "ada@example.com")


def test_reimport_after_a_merge_attributes_nothing_to_the_merged_member(ws, tmp_path):
    path = SAMPLES / "weekly-sync.symbl.json"
    conv_id = run_import(str(path), "--workspace", ws.slug)["conversation"]
    s1 = Member.objects.get(conversation_id=conv_id, name="Speaker 1")
    s2 = Member.objects.get(conversation_id=conv_id, name="Speaker 2")
    speakers.member_merge(source=s1, target=s2)
    # A later vendor result adds one more message by the (now merged) Speaker 1.
    data = json.loads(path.read_text())
    extra = dict(data["messages"][-1], id="77777777", timeOffset=600.0, duration=2.0)
    extra["from"] = {"id": s1.vendor_label, "name": "Speaker 1"}
    data["messages"].append(extra)
    changed = tmp_path / "weekly-sync-v3.json"
    changed.write_text(json.dumps(data))
    run_import(str(changed), "--into", str(conv_id))
    added = Message.objects.get(conversation_id=conv_id, external_id="77777777")
    assert added.member_id == s2.pk
    assert added.diarized_member_id == s1.pk


def test_into_appends_a_recording_whose_speakers_become_new_members(ws, real_data):
    rttm = real_data / "rttm/voxconverse-dev/ngyrk.rttm"
    conv_id = run_import(str(rttm), "--workspace", ws.slug)["conversation"]
    end_first = max(Message.objects.filter(conversation_id=conv_id).values_list("end", flat=True))
    result = run_import(str(real_data / "rttm/voxconverse-dev/luvfz.rttm"), "--into", str(conv_id))
    assert result["conversation"] == conv_id
    assert Member.objects.filter(conversation_id=conv_id).count() == 2 + 7
    names = list(Member.objects.filter(conversation_id=conv_id).values_list("name", flat=True))
    assert names == [f"Speaker {n}" for n in range(1, 10)]
    appended = Message.objects.filter(conversation_id=conv_id, job__source_name="luvfz.rttm")
    assert appended.count() == 53
    assert min(m.start for m in appended) >= end_first


def test_appending_the_same_labels_again_still_makes_new_members(ws, real_data, tmp_path):
    rttm = real_data / "rttm/voxconverse-dev/ngyrk.rttm"
    conv_id = run_import(str(rttm), "--workspace", ws.slug)["conversation"]
    copy = tmp_path / "second.rttm"
    copy.write_text(rttm.read_text().replace("ngyrk", "second") + "\n")
    run_import(str(copy), "--into", str(conv_id))
    assert Member.objects.filter(conversation_id=conv_id).count() == 4


def test_rttm_with_a_bad_line_names_it_and_writes_nothing(ws, tmp_path, real_data):
    good = (real_data / "rttm/voxconverse-dev/ngyrk.rttm").read_text().splitlines()
    fields = good[4].split()
    fields[3] = "soon"
    good[4] = " ".join(fields)
    bad = tmp_path / "broken.rttm"
    bad.write_text("\n".join(good) + "\n")
    counts = (Conversation.objects.count(), Member.objects.count(), Message.objects.count())
    with pytest.raises(CommandError) as err:
        run_import(str(bad), "--workspace", ws.slug)
    assert "broken.rttm" in str(err.value)
    assert "line 5" in str(err.value)
    assert (Conversation.objects.count(), Member.objects.count(), Message.objects.count()) == counts


def test_symbl_json_with_a_bad_field_names_the_field(ws, tmp_path):
    data = json.loads((SAMPLES / "weekly-sync.symbl.json").read_text())
    data["messages"][3]["timeOffset"] = "soon"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    with pytest.raises(CommandError) as err:
        run_import(str(bad), "--workspace", ws.slug)
    assert "messages[3]" in str(err.value)
    assert Conversation.objects.count() == 0


def test_insight_naming_an_unknown_message_is_rejected_whole(ws, tmp_path):
    data = json.loads((SAMPLES / "weekly-sync.symbl.json").read_text())
    data["insights"][2]["messageIds"] = ["999"]
    bad = tmp_path / "bad-insight.json"
    bad.write_text(json.dumps(data))
    with pytest.raises(CommandError) as err:
        run_import(str(bad), "--workspace", ws.slug)
    assert "insights[2].messageIds" in str(err.value)
    assert Conversation.objects.count() == 0
    assert Message.objects.count() == 0


def test_missing_file_and_unknown_workspace_are_clear_errors(ws, tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        run_import(str(tmp_path / "nope.rttm"), "--workspace", ws.slug)
    shutil.copy(SAMPLES / "customer-call.rttm", tmp_path / "call.rttm")
    with pytest.raises(CommandError, match="no workspace 'ghost'"):
        run_import(str(tmp_path / "call.rttm"), "--workspace", "ghost")
    with pytest.raises(CommandError, match="no conversation 4242"):
        run_import(str(tmp_path / "call.rttm"), "--into", "4242")


def test_format_flag_overrides_detection(ws):
    with pytest.raises(CommandError):
        run_import(str(SAMPLES / "customer-call.rttm"), "--format", "vtt", "--workspace", ws.slug)
    result = run_import(str(SAMPLES / "customer-call.rttm"), "--format", "rttm", "--title", "Call")
    assert Conversation.objects.get(pk=result["conversation"]).title == "Call"


@pytest.mark.parametrize(
    ("relpath", "members", "messages"),
    [
        ("vendor/deepgram/dg_speakers.json", 3, 22),
        ("vendor/assemblyai/assemblyai_utterances.json", 1, 1),
        ("vendor/aws-transcribe-call-analytics/example-call.json", 2, 37),
    ],
)
def test_vendor_results_saved_as_files_import_the_same_way(
    ws, real_data, relpath, members, messages
):
    result = run_import(str(real_data / relpath), "--workspace", ws.slug)
    conv = Conversation.objects.get(pk=result["conversation"])
    assert (conv.members.count(), conv.messages.count()) == (members, messages)
    assert all(m.text for m in conv.messages.all())


def test_max_bytes_refuses_a_larger_file_before_reading_it(ws):
    path = SAMPLES / "customer-call.rttm"
    size = path.stat().st_size
    with pytest.raises(CommandError, match=f"{size} bytes, larger than --max-bytes {size - 1}"):
        run_import(str(path), "--workspace", ws.slug, "--max-bytes", str(size - 1))
    assert not Conversation.objects.exists()
    assert run_import(str(path), "--workspace", ws.slug, "--max-bytes", str(size))["messages"]
