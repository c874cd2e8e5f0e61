"""The retention task deletes what each workspace's policy says is too old, only there,
once, and reports it (``conversations.services.retention``; ``manage.py enforce_retention``)."""

from __future__ import annotations

import json
from datetime import timedelta
from importlib import import_module
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone
from django_q.models import Schedule

from diarization_portal.conversations.models import (
    Conversation,
    Insight,
    Job,
    JobKind,
    JobState,
    Member,
    Message,
    SpeakerEdit,
)
from diarization_portal.conversations.services.retention import (
    conversations_due,
    retention_enforce,
    retention_enforce_all,
)
from diarization_portal.conversations.services.speakers import member_rename
from diarization_portal.conversations.tasks import enforce_retention
from diarization_portal.workspaces.models import RetentionDeletion, RetentionRun, Workspace
from diarization_portal.workspaces.services import workspace_privacy_update
from tests import factories

pytestmark = pytest.mark.django_db

NOW = timezone.now()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def aged(ws, days: float, *, media: bool = True, title: str = "Call", **kw) -> Conversation:
    """A conversation of ``ws`` created ``days`` ago, with a job holding a recording."""
    conv = factories.conversation(ws, title=title, **kw)
    if media:
        job = Job.objects.create(conversation=conv, kind=JobKind.PROCESS, state=JobState.DONE)
        job.media.save("call.wav", ContentFile(b"RIFF audio"))
    Conversation.objects.filter(pk=conv.pk).update(created_at=NOW - timedelta(days=days))
    return Conversation.objects.get(pk=conv.pk)


def policy(ws: Workspace, *, since_days_ago: float = 365, **fields) -> Workspace:
    """Set the policy as the settings page does, as if saved ``since_days_ago`` days ago."""
    ws = workspace_privacy_update(workspace=ws, **fields)
    Workspace.objects.filter(pk=ws.pk).update(
        retention_policy_since=NOW - timedelta(days=since_days_ago)
    )
    return Workspace.objects.get(pk=ws.pk)


def media_files(conv_pk: int) -> list[str]:
    jobs = Job.objects.filter(conversation_id=conv_pk).exclude(media="")
    return list(jobs.values_list("media", flat=True))


def test_transcript_and_pii_deletion_removes_old_conversations_whole_and_keeps_an_audit_row(
    django_capture_on_commit_callbacks,
):
    ws = factories.workspace()
    old = aged(ws, 40, members=3, messages=12, insights=4, title="Call with Grace Hopper")
    a = Member.objects.filter(conversation=old).first()
    member_rename(member=a, name="Grace Hopper", email="grace@example.org")
    file = Path(Job.objects.get(conversation=old).media.path)
    young = aged(ws, 10, title="Recent")
    ws = policy(ws, retention_days=30, delete_transcript_and_pii=True)

    with django_capture_on_commit_callbacks(execute=True):
        report = retention_enforce(workspace=ws, now=NOW)

    assert report.conversations == [(old.pk, "conversation")]
    assert dict(report.counts) == {
        "conversations": 1,
        "audio_files": 1,
        "messages": 12,
        "insights": 4,
        "members": 3,
    }
    assert not Conversation.objects.filter(pk=old.pk).exists()
    assert not Message.objects.filter(conversation_id=old.pk).exists()
    assert not SpeakerEdit.objects.filter(conversation_id=old.pk).exists()
    assert not Member.objects.filter(email="grace@example.org").exists()
    assert not file.exists()
    assert Conversation.objects.filter(pk=young.pk).exists()
    run = RetentionRun.objects.get(pk=report.run_id)
    assert (run.conversations_deleted, run.messages_deleted, run.insights_deleted) == (1, 12, 4)
    assert (run.members_deleted, run.audio_files_deleted, run.finished_at is not None) == (
        3,
        1,
        True,
    )
    [audit] = RetentionDeletion.objects.all()
    assert (audit.conversation_id, audit.action, audit.run_id) == (old.pk, "conversation", run.pk)
    assert audit.counts["messages"] == 12
    assert "Grace" not in json.dumps(list(RetentionDeletion.objects.values()), default=str)


def test_audio_only_deletion_keeps_the_transcript(django_capture_on_commit_callbacks):
    ws = factories.workspace()
    old = aged(ws, 40, messages=6)
    file = Path(Job.objects.get(conversation=old).media.path)
    ws = policy(ws, retention_days=30, delete_audio=True)

    with django_capture_on_commit_callbacks(execute=True):
        report = retention_enforce(workspace=ws, now=NOW)

    assert report.conversations == [(old.pk, "audio")]
    assert dict(report.counts) == {"audio_files": 1}
    assert media_files(old.pk) == [] and not file.exists()
    assert Message.objects.filter(conversation=old).count() == 6
    assert RetentionDeletion.objects.get().action == "audio"


def test_a_second_run_deletes_nothing():
    ws = factories.workspace()
    aged(ws, 40)
    aged(ws, 50, media=False)
    ws = policy(ws, retention_days=30, delete_audio=True)
    assert retention_enforce(workspace=ws, now=NOW).counts["audio_files"] == 1

    again = retention_enforce(workspace=ws, now=NOW)

    assert again.conversations == [] and sum(again.counts.values()) == 0
    assert again.run_id is None and RetentionRun.objects.count() == 1

    ws = policy(ws, retention_days=30, delete_transcript_and_pii=True)
    assert retention_enforce(workspace=ws, now=NOW).counts["conversations"] == 2
    assert retention_enforce(workspace=ws, now=NOW).conversations == []


def test_deletion_never_touches_another_workspace():
    ws, other = factories.workspace(), factories.workspace()
    mine = aged(ws, 40)
    theirs = aged(other, 400, insights=2)  # much older, but its workspace keeps everything
    ws = policy(ws, retention_days=30, delete_transcript_and_pii=True)
    before = (Message.objects.filter(conversation=theirs).count(), media_files(theirs.pk))

    reports = retention_enforce_all(now=NOW)

    assert [r.workspace_id for r in reports] == [ws.pk]
    assert not Conversation.objects.filter(pk=mine.pk).exists()
    assert (Message.objects.filter(conversation=theirs).count(), media_files(theirs.pk)) == before
    assert Insight.objects.filter(conversation=theirs).count() == 2
    assert not RetentionRun.objects.filter(workspace=other).exists()


def test_without_apply_to_existing_only_conversations_after_the_policy_change_go():
    ws = factories.workspace()
    before_policy = aged(ws, 60)
    after_policy = aged(ws, 40)
    ws = policy(ws, since_days_ago=50, retention_days=30, delete_transcript_and_pii=True)

    report = retention_enforce(workspace=ws, now=NOW)
    assert report.conversations == [(after_policy.pk, "conversation")]
    assert Conversation.objects.filter(pk=before_policy.pk).exists()

    ws = policy(ws, since_days_ago=50, apply_to_existing_conversations=True)
    assert retention_enforce(workspace=ws, now=NOW).conversations == [
        (before_policy.pk, "conversation")
    ]


def test_changing_the_policy_moves_the_date_it_took_effect():
    ws = factories.workspace()
    assert ws.retention_policy_since is None
    ws = workspace_privacy_update(workspace=ws, retention_days=30, delete_audio=True)
    first = ws.retention_policy_since
    assert first is not None
    ws = workspace_privacy_update(workspace=ws, record_voice=False)  # not a retention field
    assert ws.retention_policy_since == first
    ws = workspace_privacy_update(workspace=ws, retention_days=60)
    assert ws.retention_policy_since > first
    with pytest.raises(ValueError, match="name"):
        workspace_privacy_update(workspace=ws, name="x")


@pytest.mark.parametrize(
    "fields",
    [
        {"retention_days": -1, "delete_transcript_and_pii": True},
        {"retention_days": 30},  # nothing to delete
    ],
)
def test_an_inactive_policy_deletes_nothing(fields):
    ws = factories.workspace()
    aged(ws, 4000)
    ws = policy(ws, **fields)
    report = retention_enforce(workspace=ws, now=NOW)
    assert report.cutoff is None and report.conversations == []
    assert Conversation.objects.count() == 1 and not RetentionRun.objects.exists()


def test_a_conversation_with_a_running_job_waits():
    ws = factories.workspace()
    busy = aged(ws, 40)
    Job.objects.create(conversation=busy, kind=JobKind.APPEND, state=JobState.PROCESSING)
    ws = policy(ws, retention_days=30, delete_transcript_and_pii=True)
    report = retention_enforce(workspace=ws, now=NOW)
    assert report.skipped == [busy.pk] and report.conversations == []
    assert Conversation.objects.filter(pk=busy.pk).exists()
    assert RetentionRun.objects.get().skipped == 1


def test_dry_run_lists_and_deletes_nothing():
    ws = factories.workspace()
    old = aged(ws, 40)
    ws = policy(ws, retention_days=30, delete_transcript_and_pii=True)
    report = retention_enforce(workspace=ws, now=NOW, dry_run=True)
    assert report.conversations == [(old.pk, "conversation")]
    assert report.counts["conversations"] == 1 and report.counts["audio_files"] == 1
    assert Conversation.objects.filter(pk=old.pk).exists() and media_files(old.pk)
    assert not RetentionRun.objects.exists()


def test_conversations_due_soon_include_the_overdue_and_those_within_the_window():
    ws = factories.workspace()
    overdue, soon, later = aged(ws, 40), aged(ws, 25), aged(ws, 5)
    ws = policy(ws, retention_days=30, delete_transcript_and_pii=True)
    due = list(conversations_due(ws, within_days=7, now=NOW).values_list("pk", flat=True))
    assert due == [overdue.pk, soon.pk]
    assert later.pk not in due


def test_the_command_reports_as_json_and_dry_run_keeps_everything():
    ws = factories.workspace()
    old = aged(ws, 40, messages=5)
    policy(ws, retention_days=30, delete_transcript_and_pii=True)
    out = StringIO()
    call_command("enforce_retention", "--dry-run", stdout=out)
    [row] = json.loads(out.getvalue().splitlines()[-1])
    assert row["dry_run"] and row["conversations"] == [[old.pk, "conversation"]]
    assert Conversation.objects.filter(pk=old.pk).exists()

    out = StringIO()
    call_command("enforce_retention", stdout=out)
    [row] = json.loads(out.getvalue().splitlines()[-1])
    assert row["counts"]["messages"] == 5 and row["run"] == RetentionRun.objects.get().pk
    assert not Conversation.objects.filter(pk=old.pk).exists()


def test_the_hourly_schedule_runs_the_task():
    migration = import_module("diarization_portal.conversations.migrations.0005_retention_schedule")
    migration.create_schedule(apps, None)
    migration.create_schedule(apps, None)  # idempotent
    schedule = Schedule.objects.get(name=migration.SCHEDULE_NAME)
    assert schedule.func == "diarization_portal.conversations.tasks.enforce_retention"
    assert (schedule.schedule_type, schedule.repeats) == (Schedule.HOURLY, -1)
    ws = factories.workspace()
    aged(ws, 40)
    policy(ws, retention_days=30, delete_audio=True)
    assert enforce_retention() == (
        f"{ws.slug}: deleted 0 conversations, 1 audio files, 0 messages, 0 insights, "
        "0 members; skipped 0"
    )
    assert enforce_retention() == "retention: nothing due"


def test_staff_edit_the_policy_in_the_admin(admin_client):
    ws = factories.workspace()
    url = f"/admin/workspaces/workspace/{ws.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert "Privacy and retention" in page and 'name="zero_retention_mode"' in page
    data = {
        "name": ws.name,
        "slug": ws.slug,
        "record_voice": "on",
        "retention_days": "30",
        "delete_audio": "on",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
    }
    assert admin_client.post(url, data).status_code == 302
    ws.refresh_from_db()
    assert (ws.retention_days, ws.delete_audio) == (30, True)
    assert ws.retention_policy_since is not None
    assert admin_client.get("/admin/workspaces/retentionrun/").status_code == 200
