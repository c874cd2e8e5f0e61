"""The retention task is atomic per conversation: a failure half-way through one leaves it,
its files and the run's counters as they were, while the conversations already done stay
done; the next run finishes the job. Helpers: :mod:`tests.atomicity`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from diarization_portal.conversations.models import (
    Conversation,
    Job,
    JobKind,
    JobState,
    Message,
)
from diarization_portal.conversations.services import retention
from diarization_portal.workspaces.models import RetentionDeletion, RetentionRun, Workspace
from tests import factories
from tests.atomicity import HalfWay, before_lock, every_write_fails, fail_after

pytestmark = pytest.mark.django_db(transaction=True)

NOW = timezone.now()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def aged(ws, days: float, **kw) -> tuple[Conversation, Path]:
    conv = factories.conversation(ws, **kw)
    job = Job.objects.create(conversation=conv, kind=JobKind.PROCESS, state=JobState.DONE)
    job.media.save("call.wav", ContentFile(b"RIFF audio"))
    Conversation.objects.filter(pk=conv.pk).update(created_at=NOW - timedelta(days=days))
    return Conversation.objects.get(pk=conv.pk), Path(job.media.path)


def with_policy(ws, **fields) -> Workspace:
    Workspace.objects.filter(pk=ws.pk).update(
        retention_days=30, apply_to_existing_conversations=True, **fields
    )
    return Workspace.objects.get(pk=ws.pk)


@pytest.mark.parametrize(
    ("fields", "gone"),
    [({"delete_transcript_and_pii": True}, True), ({"delete_audio": True}, False)],
)
def test_one_conversation_fails_half_way_without_a_trace_then_is_deleted(fields, gone):
    ws = factories.workspace()
    conv, file = aged(ws, 40, members=3, messages=8, insights=2)
    ws = with_policy(ws, **fields)
    run = RetentionRun.objects.create(workspace=ws, cutoff=NOW - timedelta(days=30))
    cutoff = run.cutoff

    def enforce():
        assert file.exists()  # removed only once a deletion commits
        return retention.retention_conversation_enforce(
            run=run, workspace=ws, conversation_id=conv.pk, cutoff=cutoff
        )

    counts = every_write_fails(enforce)

    assert counts["audio_files"] == 1 and not file.exists()
    assert Conversation.objects.filter(pk=conv.pk).exists() is not gone
    assert Message.objects.filter(conversation_id=conv.pk).count() == (0 if gone else 8)
    run.refresh_from_db()
    assert run.audio_files_deleted == 1 and run.conversations_deleted == (1 if gone else 0)
    assert RetentionDeletion.objects.get().conversation_id == conv.pk


def test_a_run_stopped_half_way_keeps_what_it_did_and_the_next_run_finishes():
    ws = factories.workspace()
    first, first_file = aged(ws, 50, messages=4)
    second, second_file = aged(ws, 40, messages=6)
    ws = with_policy(ws, delete_transcript_and_pii=True)

    with (
        fail_after(retention, "_add_to_run", nth=2),
        pytest.raises(HalfWay),
    ):
        retention.retention_enforce(workspace=ws, now=NOW)

    assert not Conversation.objects.filter(pk=first.pk).exists() and not first_file.exists()
    assert Message.objects.filter(conversation=second).count() == 6 and second_file.exists()
    run = RetentionRun.objects.get()
    assert (run.conversations_deleted, run.messages_deleted) == (1, 4)
    assert run.finished_at is None and "HalfWay" in run.error
    assert list(RetentionDeletion.objects.values_list("conversation_id", flat=True)) == [first.pk]

    report = retention.retention_enforce(workspace=ws, now=NOW)
    assert report.conversations == [(second.pk, "conversation")]
    assert not second_file.exists() and not Conversation.objects.exists()
    assert retention.retention_enforce(workspace=ws, now=NOW).conversations == []
    assert RetentionDeletion.objects.count() == 2


def test_a_job_started_before_the_lock_keeps_the_conversation():
    ws = factories.workspace()
    conv, file = aged(ws, 40)
    ws = with_policy(ws, delete_transcript_and_pii=True)

    def start_append():
        Job.objects.create(conversation=conv, kind=JobKind.APPEND, state=JobState.QUEUED)

    with before_lock(Conversation, start_append) as locks:
        report = retention.retention_enforce(workspace=ws, now=NOW)

    assert locks and report.skipped == [conv.pk] and report.conversations == []
    assert Conversation.objects.filter(pk=conv.pk).exists() and file.exists()
