"""Submitting recordings on Symbl's Async API paths: by URL, as raw bytes or a multipart file;
the queued job on the django-q2 ORM broker (no vendor is called); the diarization flags in the
query string; refused and ignored options; vendor options; errors naming the field."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from diarization_portal.api.serializers import process as process_serializers
from diarization_portal.conversations.models import Conversation, Job, JobKind, JobState
from diarization_portal.sync.models import ProviderAccount
from diarization_portal.sync.services import JobInputError
from tests import broker
from tests.api.conftest import bearer
from tests.api.submits import URL, make_account, only_job, submit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("submit_settings")]


@pytest.fixture
def auth(people):
    return bearer(people["editor"])


def test_a_url_submit_queues_a_job_and_answers_like_symbl(
    client, auth, symbl, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(
            client,
            auth,
            {"url": URL, "name": "Weekly sync", "languageCode": "en-US"},
            query="?enableSpeakerDiarization=true&diarizationSpeakerCount=3",
        )
    assert response.status_code == 201, response.content
    job = only_job()
    assert response.json() == {"conversationId": str(job.conversation_id), "jobId": str(job.pk)}
    assert (job.kind, job.state, job.account_id) == (JobKind.PROCESS, JobState.QUEUED, symbl.pk)
    assert (job.source_url, job.speaker_count, job.language) == (URL, 3, "en-US")
    assert job.conversation.title == "Weekly sync"
    assert job.conversation.vendor == "symbl"
    assert job.conversation.workspace_id == symbl.workspace_id
    assert broker.queued() == [("submit_job", (job.pk,))]
    status = client.get(reverse("api:job_status", args=[job.pk]), **auth)
    assert status.json() == {"id": str(job.pk), "status": "scheduled"}


def test_body_flags_win_over_the_query_and_unused_symbl_options_are_listed(client, auth, symbl):
    response = submit(
        client,
        auth,
        {"url": URL, "diarizationSpeakerCount": 2, "confidenceThreshold": 0.6},
        query="?diarizationSpeakerCount=5&detectPhrases=true",
    )
    assert response.status_code == 201
    assert response.json()["ignored"] == ["confidenceThreshold", "detectPhrases"]
    assert only_job().speaker_count == 2


@pytest.mark.parametrize(
    "body, query, loc",
    [
        ({"url": URL, "enableSpeakerDiarization": False}, "", ["body", "enableSpeakerDiarization"]),
        ({"url": URL}, "?enableSpeakerDiarization=false", ["query", "enableSpeakerDiarization"]),
        ({"url": URL, "webhookUrl": "https://crm.example/hook"}, "", ["body", "webhookUrl"]),
        ({"url": URL}, "?webhookUrl=https://crm.example/hook", ["query", "webhookUrl"]),
        ({}, "", ["body", "url"]),
        ({"url": "ftp://media.example.org/a.mp3"}, "", ["body", "url"]),
        ({"url": "not a url"}, "", ["body", "url"]),
        ({"url": URL, "diarizationSpeakerCount": 0}, "", ["body", "diarizationSpeakerCount"]),
        ({"url": URL}, "?diarizationSpeakerCount=two", ["query", "diarizationSpeakerCount"]),
        ({"url": URL, "languageCode": "x" * 17}, "", ["body", "languageCode"]),
        ({"url": URL, "accountId": "abc"}, "", ["body", "accountId"]),
        ({"url": URL, "accountId": "999999"}, "", ["body", "accountId"]),
        ({"url": URL, "options": "{"}, "", ["body", "options"]),
        ({"url": URL, "options": {"product": "stt"}}, "", ["body", "options", "product"]),
    ],
)
def test_bad_submits_are_400_naming_the_field_and_queue_nothing(
    client, auth, symbl, body, query, loc
):
    response = submit(client, auth, body, query=query)
    assert response.status_code == 400, response.content
    assert response.json()["type"] == "validation_error"
    assert response.json()["errors"][0]["loc"] == loc
    assert not Job.objects.exists() and not Conversation.objects.exists()
    assert broker.queued() == []


def test_the_diarization_refusal_says_why(client, auth, symbl):
    response = submit(client, auth, {"url": URL}, query="?enableSpeakerDiarization=false")
    assert response.json()["errors"][0]["msg"] == (
        "the portal always diarizes: leave it out or send true"
    )
    hook = submit(client, auth, {"url": URL, "webhookUrl": "https://crm.example/hook"})
    assert "poll GET /api/v1/job/{jobId}" in hook.json()["errors"][0]["msg"]


def test_a_raw_body_upload_stores_the_recording_with_options_from_the_query(
    client, auth, ws, django_capture_on_commit_callbacks
):
    elevenlabs = make_account(ws, "elevenlabs")
    options = json.dumps({"product": "stt", "modelId": "scribe_v2"})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("api:process_audio")
            + f"?name=Call&accountId={elevenlabs.pk}&diarizationSpeakerCount=4&options={options}",
            b"RIFF....WAVEfmt fake audio bytes",
            content_type="audio/wav",
            **auth,
        )
    assert response.status_code == 201, response.content
    job = only_job()
    assert job.media.read() == b"RIFF....WAVEfmt fake audio bytes"
    assert job.media.name.endswith(".wav")
    assert (job.source_url, job.speaker_count) == ("", 4)
    assert job.options == {"product": "stt", "model_id": "scribe_v2"}
    assert job.conversation.title == "Call"
    assert len(broker.queued()) == 1


def test_a_raw_upload_without_content_type_is_taken_as_symbl_allows(client, auth, symbl):
    response = client.generic(
        "POST", reverse("api:process_video"), b"\x00\x01\x02 recording", content_type="", **auth
    )
    assert response.status_code == 201, response.content
    assert only_job().media.read() == b"\x00\x01\x02 recording"


def test_a_multipart_upload_keeps_the_file_name(client, auth, ws, tmp_path):
    phonexia = make_account(ws, "phonexia", base_url="https://phonexia.example.org:8600")
    recording = tmp_path / "board meeting.flac"
    recording.write_bytes(b"fLaC fake")
    with recording.open("rb") as fh:
        response = client.post(
            reverse("api:process_audio"),
            {
                "file": fh,
                "accountId": str(phonexia.pk),
                "options": json.dumps({"channelMode": "mix", "maxSpeakers": 3}),
            },
            **auth,
        )
    assert response.status_code == 201, response.content
    job = only_job()
    assert job.source_name == "board meeting.flac"
    assert job.options == {"channel_mode": "mix", "max_speakers": 3}
    assert job.conversation.title == "board meeting.flac"


@pytest.mark.parametrize(
    "body, content_type, loc",
    [
        (b"", "audio/wav", ["body"]),
        (b'{"url": "x"}', "application/json", None),
        (b"text", "text/plain", None),
    ],
)
def test_raw_uploads_need_a_body_and_a_media_type(client, auth, symbl, body, content_type, loc):
    response = client.generic(
        "POST", reverse("api:process_audio"), body, content_type=content_type, **auth
    )
    if loc is None:
        assert response.status_code == 415
        assert response.json()["type"] == "unsupported_media_type"
    else:
        assert response.status_code == 400
        assert response.json()["errors"][0]["loc"] == loc
    assert not Job.objects.exists()


def test_a_multipart_form_without_a_file_names_it(client, auth, symbl):
    response = client.post(reverse("api:process_audio"), {"name": "x"}, **auth)
    assert response.status_code == 400
    assert response.json()["errors"][0]["loc"] == ["body", "file"]


def test_recordings_over_the_limit_are_refused_before_reading(client, auth, symbl, monkeypatch):
    monkeypatch.setattr(process_serializers, "MAX_RECORDING_BYTES", 10)
    monkeypatch.setattr("diarization_portal.api.submissions.MAX_RECORDING_BYTES", 10)
    response = client.generic(
        "POST", reverse("api:process_audio"), b"x" * 11, content_type="audio/wav", **auth
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["msg"] == "the recording is larger than 500 MB"


# -- vendors and their options ----------------------------------------------------------------


def test_vendor_options_are_checked_for_the_accounts_vendor(client, auth, ws):
    deepaffects = make_account(ws, "deepaffects")
    missing = submit(client, auth, {"url": URL, "accountId": str(deepaffects.pk)})
    assert missing.status_code == 400
    assert {tuple(e["loc"]) for e in missing.json()["errors"]} == {
        ("body", "options", "encoding"),
        ("body", "options", "sampleRate"),
    }
    unknown = submit(
        client,
        auth,
        {"url": URL, "accountId": str(deepaffects.pk), "options": {"modelId": "scribe_v1"}},
    )
    assert unknown.json()["errors"] == [
        {"loc": ["body", "options", "modelId"], "msg": "DeepAffects takes no option 'modelId'"}
    ]
    ok = submit(
        client,
        auth,
        {
            "url": URL,
            "accountId": str(deepaffects.pk),
            "options": {"encoding": "FLAC", "sampleRate": 16000},
        },
    )
    assert ok.status_code == 201
    assert only_job().options == {"encoding": "FLAC", "sample_rate": 16000, "audio_type": "meeting"}


def test_deepaffects_needs_a_public_address(client, auth, ws, settings):
    settings.PUBLIC_BASE_URL = ""
    deepaffects = make_account(ws, "deepaffects")
    body = {
        "url": URL,
        "accountId": str(deepaffects.pk),
        "options": {"encoding": "MP3", "sampleRate": 8000},
    }
    response = submit(client, auth, body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["loc"] == ["body", "accountId"]
    assert "PUBLIC_BASE_URL" in response.json()["errors"][0]["msg"]


def test_phonexia_takes_files_not_urls(client, auth, ws):
    phonexia = make_account(ws, "phonexia", base_url="https://phonexia.example.org")
    response = submit(client, auth, {"url": URL, "accountId": str(phonexia.pk)})
    assert response.status_code == 400
    assert response.json()["errors"][0]["loc"] == ["body", "url"]


def test_an_elevenlabs_pvc_job_needs_no_url_but_its_sample(client, auth, ws):
    elevenlabs = make_account(ws, "elevenlabs")
    partial = submit(
        client,
        auth,
        {"accountId": str(elevenlabs.pk), "options": {"product": "pvc", "voiceId": "v1"}},
    )
    assert partial.json()["errors"] == [
        {"loc": ["body", "options", "sampleId"], "msg": "a PVC job needs it"}
    ]
    response = submit(
        client,
        auth,
        {
            "accountId": str(elevenlabs.pk),
            "options": {"product": "pvc", "voiceId": "v1", "sampleId": "s1"},
        },
    )
    assert response.status_code == 201, response.content
    job = only_job()
    assert job.options == {"product": "pvc", "voice_id": "v1", "sample_id": "s1"}
    assert (job.source_url, bool(job.media)) == ("", False)
    assert job.conversation.title == "PVC sample s1"


def test_an_account_missing_a_secret_is_refused(client, auth, ws):
    account = ProviderAccount.objects.create(workspace=ws, vendor="symbl", label="half")
    account.set_secrets(app_id="only-the-id")
    account.save()
    response = submit(client, auth, {"url": URL, "accountId": str(account.pk)})
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "loc": ["body", "accountId"],
        "msg": "half is missing app_secret: a workspace admin must set it",
    }


@pytest.mark.parametrize(
    "message, field, loc",
    [
        (
            "the speaker count must be at least 1",
            "speaker_count",
            ["body", "diarizationSpeakerCount"],
        ),
        (
            "the account and the conversation belong to different workspaces",
            "account",
            ["body", "accountId"],
        ),
        ("DeepAffects needs the encoding and the sample rate (Hz)", "options", ["body", "options"]),
        ("give either a recording URL or an uploaded file", "source", ["body", "url"]),
    ],
)
def test_a_job_input_error_of_the_service_is_400_naming_the_field(
    client, auth, symbl, monkeypatch, message, field, loc
):
    def refuse(**kwargs):
        raise JobInputError(message, field=field)

    monkeypatch.setattr("diarization_portal.api.submissions.job_create", refuse)
    response = submit(client, auth, {"url": URL})
    assert response.status_code == 400
    assert response.json()["errors"] == [{"loc": loc, "msg": message}]
