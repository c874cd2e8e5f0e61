"""Background file imports are atomic: queueing a file (conversation, job, stored file) and
importing it (every row and the move to ``done``) fail after any of their writes without a
trace, and a file that cannot be read rejects the job and writes nothing else. Helpers:
:mod:`tests.atomicity`."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from diarization_portal.conversations.models import Conversation, Job, JobState, Message
from diarization_portal.conversations.services import file_jobs
from providers.formats import parse
from tests import factories
from tests.atomicity import every_write_fails
from tests.conftest import SAMPLES

pytestmark = pytest.mark.django_db(transaction=True)
SYMBL = (SAMPLES / "weekly-sync.symbl.json").read_bytes()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_queueing_a_file_fails_half_way_without_a_trace(media):
    ws = factories.workspace()
    job = every_write_fails(
        lambda: file_jobs.file_import_queue(
            workspace=ws,
            upload=SimpleUploadedFile("weekly.symbl.json", SYMBL),
            source_name="weekly.symbl.json",
        )
    )
    assert job.state == JobState.QUEUED and Conversation.objects.count() == 1
    assert len(stored(media)) == 1  # only the file of the job that was committed


def test_importing_a_queued_file_fails_half_way_without_a_trace_then_imports(media):
    ws = factories.workspace()
    job = file_jobs.file_import_queue(
        workspace=ws,
        upload=SimpleUploadedFile("weekly.symbl.json", SYMBL),
        source_name="weekly.symbl.json",
    )
    Job.objects.filter(pk=job.pk).update(state=JobState.IMPORTING)  # claimed
    transcript = parse(SYMBL)
    done = every_write_fails(lambda: file_jobs._store(job.pk, transcript))
    assert done.state == JobState.DONE
    conv = Conversation.objects.get(pk=job.conversation_id)
    assert conv.title == "Weekly product sync" and conv.source_format == "symbl"
    assert Message.objects.filter(job=job).count() == len(transcript.utterances)
    assert conv.insights.count() == len(transcript.insights)
    assert stored(media) == []
