"""Workspace privacy through a real django-q2 cluster: in zero retention mode the uploaded
recording and the webhook's raw result are gone once imported; a linked Speech Engine is read
by the cluster; the retention task deletes what is past retention."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from django_q.tasks import async_task

from diarization_portal.conversations.models import Conversation, Job, Message
from diarization_portal.sync import services
from diarization_portal.sync.models import SpeechEngineLink
from diarization_portal.sync.services import engines
from diarization_portal.workspaces.models import RetentionRun, Workspace

from .conftest import WEBHOOK_SECRET

pytestmark = pytest.mark.e2e

WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(28)


def _zero_retention(e2e) -> None:
    Workspace.objects.filter(pk=e2e.workspace.pk).update(zero_retention_mode=True)


def test_zero_retention_keeps_no_recording_after_a_phonexia_import(e2e):
    _zero_retention(e2e)
    e2e.emulator.phonexia.api_key = "e2e-phx-key"
    job = services.job_create(
        account=e2e.account("phonexia"),
        media=ContentFile(WAV, name="support-call.wav"),
        speaker_count=2,
    )
    path = Path(job.media.path)
    assert path.exists()
    job = e2e.wait_job(job)
    assert Message.objects.filter(job=job).exists()
    assert not job.media and not path.exists()


def test_zero_retention_drops_the_signed_webhook_result_after_import(e2e):
    _zero_retention(e2e)
    eleven = e2e.emulator.elevenlabs
    account = e2e.account("elevenlabs")
    hook = reverse("sync:elevenlabs_webhook", args=[account.pk])
    eleven.webhook = (f"{e2e.live_server.url}{hook}", WEBHOOK_SECRET)
    job = services.job_create(
        account=account,
        source_url="https://media.example.org/recordings/kick-off.mp3",
        options={"product": "stt"},
    )
    job = e2e.wait_job(job)
    assert Message.objects.filter(job=job).exists()
    assert Job.objects.get(pk=job.pk).result_payload is None


def test_a_linked_speech_engine_is_read_by_the_cluster(e2e):
    e2e.emulator.elevenlabs.add_speech_engine(
        "seng_e2e", name="E2E line", privacy={"record_voice": False}
    )
    link = engines.speech_engine_link(account=e2e.account("elevenlabs"), engine_id="seng_e2e")
    link = e2e.wait_until(
        lambda: (row := SpeechEngineLink.objects.get(pk=link.pk)).state == "ok" and row,
        what="the engine read",
    )
    assert link.engine.name == "E2E line" and link.engine.privacy.record_voice is False


def test_the_retention_task_runs_in_the_cluster(e2e):
    ws = Workspace.objects.get(pk=e2e.workspace.pk)
    old = Conversation.objects.create(workspace=ws, title="Old call")
    Conversation.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=9))
    Workspace.objects.filter(pk=ws.pk).update(
        retention_days=7, delete_transcript_and_pii=True, apply_to_existing_conversations=True
    )
    async_task("diarization_portal.conversations.tasks.enforce_retention")
    e2e.wait_until(lambda: not Conversation.objects.filter(pk=old.pk).exists(), what="deleted")
    assert RetentionRun.objects.get(workspace=ws).conversations_deleted == 1
