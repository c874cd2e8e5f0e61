"""Workspace privacy at import time: without ``record_voice`` the recording is deleted once
its result is imported; in ``zero_retention_mode`` the raw vendor result a webhook brought
goes too (Workspace fields modelled on the ElevenLabs Speech Engine ``privacy`` block,
vendor-apis.md 2.3)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from responses import matchers

from diarization_portal.conversations.models import Job, JobState, Message
from diarization_portal.sync import services, vendors

from .conftest import due, make_account, recorded

pytestmark = pytest.mark.django_db(transaction=True)

PHX = "https://phonexia.example.org:8600"
PHX_TASK = "0b8f6a52-3c1e-4d7a-9a50-2f7e1c9d4b11"
PHX_START = f"{PHX}/api/technology/speaker-diarization"
DA = "https://proxy.api.deepaffects.com/audio/generic/api/v2/async/diarize"
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt "


def _privacy(workspace, **fields):
    type(workspace).objects.filter(pk=workspace.pk).update(**fields)


def _phonexia_import(workspace, mocked, tasks) -> tuple[Job, Path]:
    account = make_account(workspace, "phonexia", base_url=PHX)
    job = services.job_create(account=account, media=ContentFile(WAV, name="call.wav"))
    tasks.take()
    media = Path(job.media.path)
    mocked.post(
        PHX_START,
        status=202,
        json=recorded("phonexia", "task_accepted.json"),
        headers={"X-Location": f"/api/technology/speaker-diarization/{PHX_TASK}"},
        match=[matchers.query_param_matcher({"channel_mode": "split"})],
    )
    services.job_submit(job_id=job.pk)
    mocked.get(f"{PHX_START}/{PHX_TASK}", json=recorded("phonexia", "task_done.json"))
    services.job_poll(job_id=due(job).pk)
    assert media.exists()  # kept until the result is in
    assert tasks.run_all() == ["import_job"]
    return Job.objects.get(pk=job.pk), media


def test_a_recording_is_kept_after_import_by_default(workspace, mocked, tasks):
    job, media = _phonexia_import(workspace, mocked, tasks)
    assert job.state == JobState.DONE and job.media and media.exists()


@pytest.mark.parametrize("fields", [{"record_voice": False}, {"zero_retention_mode": True}])
def test_without_record_voice_or_in_zero_retention_the_recording_goes_after_import(
    workspace, mocked, tasks, fields
):
    _privacy(workspace, **fields)
    job, media = _phonexia_import(workspace, mocked, tasks)
    assert job.state == JobState.DONE
    assert not job.media and not media.exists()
    assert Message.objects.filter(job=job).count() == 2  # the segments are imported


def _deepaffects_webhook_import(workspace, mocked, tasks, client) -> Job:
    account = make_account(workspace, "deepaffects")
    job = services.job_create(
        account=account,
        source_url="https://media.example.org/a.flac",
        options={"encoding": "FLAC", "sample_rate": 16000},
    )
    tasks.take()
    rid = vendors.deepaffects_request_id(job)
    mocked.post(DA, json={"request_id": rid, "api": "diarize"})
    services.job_submit(job_id=job.pk)
    body = {**recorded("deepaffects", "webhook.json"), "request_id": rid}
    url = f"/webhooks/deepaffects/{job.webhook_token}/"
    assert client.post(url, body, content_type="application/json").status_code == 200
    assert Job.objects.get(pk=job.pk).result_payload is not None
    assert tasks.run_all() == ["poll_job", "import_job"]
    return Job.objects.get(pk=job.pk)


def test_zero_retention_drops_the_vendor_result_payload_after_import(
    workspace, mocked, tasks, client
):
    _privacy(workspace, zero_retention_mode=True)
    job = _deepaffects_webhook_import(workspace, mocked, tasks, client)
    assert job.state == JobState.DONE and job.result_payload is None
    assert Message.objects.filter(job=job).count() == 2


def test_without_zero_retention_the_vendor_result_payload_stays(workspace, mocked, tasks, client):
    _privacy(workspace, record_voice=False)
    job = _deepaffects_webhook_import(workspace, mocked, tasks, client)
    assert job.state == JobState.DONE and job.result_payload is not None
