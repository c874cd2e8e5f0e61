"""Sending recordings to vendors from the dashboard: who may, what the form requires per
vendor, and the job it creates (its submit enqueued on the django-q2 ORM broker)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from diarization_portal.conversations.models import Conversation, Job, JobKind, JobState
from diarization_portal.dashboard.forms_jobs import RecordingForm
from diarization_portal.workspaces.models import Role
from tests import factories
from tests.broker import queued

from .conftest import account, vendor_conversation

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sync_settings")]
MEDIA_URL = "https://media.example.org/weekly.mp3"


def new_url(ws) -> str:
    return reverse("dashboard:conversation_new", args=[ws.slug])


def send_url(conv) -> str:
    return reverse("dashboard:recording_send", args=[conv.pk])


def post(client, url, data, capture):
    """POST and run the on-commit callbacks (the enqueue) as a real commit would."""
    with capture(execute=True):
        return client.post(url, data)


def errors(response) -> str:
    return response.content.decode()


# --- access -----------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_login(client, ws):
    response = client.get(new_url(ws))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize("role", [Role.VIEWER, Role.COMMENTER])
def test_viewers_and_commenters_cannot_send_recordings(client, ws, role):
    acct = account(ws, "symbl")
    conv = vendor_conversation(ws, acct)
    client.force_login(factories.user(ws, role))
    assert client.get(new_url(ws)).status_code == 403
    data = {"account": acct.pk, "source_url": MEDIA_URL}
    assert client.post(new_url(ws), data).status_code == 403
    assert client.get(send_url(conv)).status_code == 403
    assert client.post(send_url(conv), {"account": acct.pk}).status_code == 403
    assert Job.objects.count() == 1
    listing = client.get(reverse("dashboard:conversation_list", args=[ws.slug])).content
    assert b"New conversation" not in listing


def test_other_workspaces_are_a_404(client, ws):
    acct = account(ws, "symbl")
    conv = vendor_conversation(ws, acct)
    client.force_login(factories.user(factories.workspace("Other"), Role.ADMIN))
    assert client.get(new_url(ws)).status_code == 404
    assert client.post(send_url(conv), {"account": acct.pk}).status_code == 404


@pytest.mark.parametrize("role", [Role.EDITOR, Role.ADMIN])
def test_editors_and_admins_get_the_form_with_every_vendor_group(client, ws, role):
    account(ws, "symbl")
    client.force_login(factories.user(ws, role))
    html = client.get(new_url(ws)).content.decode()
    for legend in ("Symbl.ai options", "ElevenLabs options", "Phonexia options"):
        assert legend in html
    assert 'data-vendor="symbl"' in html and "Recording URL" in html
    assert 'name="deepaffects_sample_rate"' in html and 'name="elevenlabs_voice_id"' in html
    listing = client.get(reverse("dashboard:conversation_list", args=[ws.slug])).content.decode()
    assert new_url(ws) in listing


# --- no accounts, incomplete accounts ---------------------------------------------------------


def test_without_accounts_admins_are_pointed_to_the_account_page(client, ws):
    client.force_login(factories.user(ws, Role.ADMIN))
    html = client.get(new_url(ws)).content.decode()
    assert "This workspace has no provider account yet." in html
    assert "Add one" in html and '<form method="post" enctype' not in html


def test_without_accounts_editors_are_told_to_ask_an_admin(client, ws, editor):
    html = client.get(new_url(ws)).content.decode()
    assert "Ask a workspace admin to add one." in html


def test_an_account_missing_secrets_is_flagged_and_refused(client, ws, editor, capture):
    acct = account(ws, "elevenlabs")
    acct.secrets = {}
    acct.save()
    html = client.get(new_url(ws)).content.decode()
    assert "(missing api_key)" in html
    assert "is missing api_key" in html
    response = post(client, new_url(ws), {"account": acct.pk, "source_url": MEDIA_URL}, capture)
    assert response.status_code == 400
    assert "Provider account: elevenlabs main is missing api_key" in errors(response)
    assert not Job.objects.exists() and queued() == []


# --- validation ------------------------------------------------------------------------------


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


def recording(name: str = "call.wav") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"RIFF\x24\x00\x00\x00WAVEfmt ", content_type="audio/wav")


@pytest.mark.parametrize(
    ("vendor", "data", "field", "message"),
    [
        ("symbl", {}, "Recording URL", "Give a recording URL or upload a file."),
        ("symbl", {"source_url": MEDIA_URL, "media": "file"}, "or a recording file", "not both"),
        ("symbl", {"source_url": "not a url"}, "Recording URL", "Enter a valid URL."),
        ("symbl", {"source_url": MEDIA_URL, "speaker_count": "0"}, "Speakers", "greater than"),
        ("phonexia", {"source_url": MEDIA_URL}, "Recording URL", "not a URL"),
        ("phonexia", {}, "or a recording file", "Phonexia needs an uploaded recording file."),
        (
            "phonexia",
            {"media": "file", "speaker_count": "2", "phonexia_max_speakers": "3"},
            "Most speakers",
            "not both",
        ),
        (
            "elevenlabs",
            {"elevenlabs_product": "pvc", "elevenlabs_sample_id": "smp_77"},
            "Voice ID",
            "A PVC job needs the voice ID.",
        ),
        (
            "elevenlabs",
            {"elevenlabs_product": "pvc", "elevenlabs_voice_id": "VxQ1abc"},
            "Sample ID",
            "A PVC job needs the sample ID.",
        ),
        (
            "elevenlabs",
            {
                "elevenlabs_product": "pvc",
                "elevenlabs_voice_id": "VxQ1abc",
                "elevenlabs_sample_id": "smp_77",
                "source_url": MEDIA_URL,
            },
            "Recording URL",
            "leave the URL and file empty",
        ),
        (
            "deepaffects",
            {"source_url": MEDIA_URL, "deepaffects_sample_rate": "16000"},
            "Encoding",
            "DeepAffects needs the recording&#x27;s encoding.",
        ),
        (
            "deepaffects",
            {"source_url": MEDIA_URL, "deepaffects_encoding": "FLAC"},
            "Sample rate (Hz)",
            "DeepAffects needs the sample rate in Hz.",
        ),
    ],
)
def test_each_required_option_is_named_when_missing(
    client, ws, editor, capture, vendor, data, field, message
):
    acct = account(ws, vendor)
    data = {"account": acct.pk, **data}
    if data.get("media") == "file":
        data["media"] = recording()
    response = post(client, new_url(ws), data, capture)
    assert response.status_code == 400
    html = errors(response)
    assert f'<span class="field-error" role="alert">{field}: ' in html
    assert message in html
    assert not Job.objects.exists() and not Conversation.objects.exists() and queued() == []


def test_deepaffects_needs_a_public_address_for_its_webhook(client, ws, editor, capture, settings):
    settings.PUBLIC_BASE_URL = ""
    acct = account(ws, "deepaffects")
    data = {
        "account": acct.pk,
        "source_url": MEDIA_URL,
        "deepaffects_encoding": "FLAC",
        "deepaffects_sample_rate": "16000",
    }
    response = post(client, new_url(ws), data, capture)
    assert response.status_code == 400 and "PUBLIC_BASE_URL" in errors(response)


def test_an_account_of_another_workspace_is_not_a_choice(client, ws, editor, capture):
    foreign = account(factories.workspace("Other"), "symbl")
    account(ws, "symbl")
    response = post(client, new_url(ws), {"account": foreign.pk, "source_url": MEDIA_URL}, capture)
    assert response.status_code == 400 and "Select a valid choice" in errors(response)
    assert not Job.objects.exists()


def test_a_refusal_of_the_service_is_shown_on_the_form(client, ws, editor, capture, monkeypatch):
    acct = account(ws, "deepaffects")
    # Options the form would never build: job_create itself refuses them.
    monkeypatch.setattr(RecordingForm, "job_options", lambda self: {"encoding": "FLAC"})
    data = {
        "account": acct.pk,
        "source_url": MEDIA_URL,
        "deepaffects_encoding": "FLAC",
        "deepaffects_sample_rate": "16000",
    }
    response = post(client, new_url(ws), data, capture)
    assert response.status_code == 400
    assert "DeepAffects needs the encoding and the sample rate (Hz)." in errors(response)
    assert not Job.objects.exists() and not Conversation.objects.exists()


# --- jobs created -----------------------------------------------------------------------------


def test_a_symbl_url_creates_the_conversation_and_job_and_enqueues_the_submit(
    client, ws, editor, capture
):
    acct = account(ws, "symbl")
    data = {
        "account": acct.pk,
        "source_url": MEDIA_URL,
        "title": "Weekly sync",
        "speaker_count": "3",
        "language": "en-US",
    }
    response = post(client, new_url(ws), data, capture)
    job = Job.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("dashboard:conversation_detail", args=[job.conversation_id])
    assert (job.kind, job.state, job.account_id) == (JobKind.PROCESS, JobState.QUEUED, acct.pk)
    assert (job.source_url, job.source_name, job.speaker_count, job.language) == (
        MEDIA_URL,
        "weekly.mp3",
        3,
        "en-US",
    )
    assert job.options == {} and not job.media
    conv = job.conversation
    assert (conv.title, conv.vendor, conv.workspace_id) == ("Weekly sync", "symbl", ws.pk)
    assert queued() == [("submit_job", (job.pk,))]
    page = client.get(response.url).content.decode()
    assert "Sent weekly.mp3 to symbl main (Symbl.ai)" in page and 'id="jobs"' in page


def test_a_phonexia_upload_stores_the_recording_with_the_channel_mode(client, ws, editor, capture):
    acct = account(ws, "phonexia")
    data = {
        "account": acct.pk,
        "media": recording("desk-call.wav"),
        "phonexia_channel_mode": "mix",
        "phonexia_max_speakers": "4",
    }
    assert post(client, new_url(ws), data, capture).status_code == 302
    job = Job.objects.get()
    assert job.options == {"channel_mode": "mix", "max_speakers": 4}
    assert job.source_name == "desk-call.wav" and job.source_url == ""
    assert job.media.read().startswith(b"RIFF")
    assert job.conversation.title == "desk-call.wav"
    assert queued() == [("submit_job", (job.pk,))]


@pytest.mark.parametrize(
    ("extra", "options"),
    [
        ({"source_url": MEDIA_URL}, {"product": "stt", "model_id": "scribe_v1"}),
        (
            {"source_url": MEDIA_URL, "elevenlabs_model_id": "scribe_v2"},
            {"product": "stt", "model_id": "scribe_v2"},
        ),
        (
            {
                "elevenlabs_product": "pvc",
                "elevenlabs_voice_id": "VxQ1abc",
                "elevenlabs_sample_id": "smp_77",
            },
            {"product": "pvc", "voice_id": "VxQ1abc", "sample_id": "smp_77"},
        ),
    ],
)
def test_elevenlabs_products_get_their_options(client, ws, editor, capture, extra, options):
    acct = account(ws, "elevenlabs")
    data = {"account": acct.pk, "elevenlabs_product": "stt", **extra}
    assert post(client, new_url(ws), data, capture).status_code == 302
    job = Job.objects.get()
    assert job.options == options
    if options["product"] == "pvc":
        assert job.conversation.title == "PVC sample smp_77" and job.source_url == ""


def test_deepaffects_gets_encoding_sample_rate_and_audio_type(client, ws, editor, capture):
    acct = account(ws, "deepaffects")
    data = {
        "account": acct.pk,
        "source_url": MEDIA_URL,
        "deepaffects_encoding": "MP3",
        "deepaffects_sample_rate": "44100",
        "deepaffects_audio_type": "callcenter",
    }
    assert post(client, new_url(ws), data, capture).status_code == 302
    options = Job.objects.get().options
    assert options == {"encoding": "MP3", "sample_rate": 44100, "audio_type": "callcenter"}


# --- append through a vendor ------------------------------------------------------------------


def test_append_offers_only_accounts_of_the_conversations_vendor(client, ws, editor, capture):
    symbl = account(ws, "symbl")
    eleven = account(ws, "elevenlabs")
    conv = vendor_conversation(ws, symbl)
    html = client.get(send_url(conv)).content.decode()
    assert "Send a recording to Symbl.ai" in html and "same Symbl conversation" in html
    assert f'value="{symbl.pk}"' in html and f'value="{eleven.pk}"' not in html
    assert 'name="title"' not in html
    data = {"account": eleven.pk, "source_url": MEDIA_URL}
    response = post(client, send_url(conv), data, capture)
    assert response.status_code == 400 and "Select a valid choice" in errors(response)
    assert conv.jobs.count() == 1


def test_append_creates_an_append_job_in_the_same_conversation(client, ws, editor, capture):
    symbl = account(ws, "symbl")
    conv = vendor_conversation(ws, symbl)
    data = {"account": symbl.pk, "source_url": "https://media.example.org/part2.mp3"}
    response = post(client, send_url(conv), data, capture)
    assert response.url == reverse("dashboard:conversation_detail", args=[conv.pk])
    job = conv.jobs.order_by("pk").last()
    assert (job.kind, job.conversation_id, job.source_name) == ("append", conv.pk, "part2.mp3")
    assert Conversation.objects.count() == 1
    assert queued() == [("submit_job", (job.pk,))]


def test_a_symbl_append_waits_for_the_symbl_conversation(client, ws, editor, capture):
    symbl = account(ws, "symbl")
    conv = vendor_conversation(ws, symbl, state=JobState.QUEUED)
    Conversation.objects.filter(pk=conv.pk).update(external_id="")
    response = post(client, send_url(conv), {"account": symbl.pk, "source_url": MEDIA_URL}, capture)
    assert response.status_code == 400
    assert "has no Symbl conversation yet" in errors(response)
    assert conv.jobs.count() == 1 and queued() == []


def test_a_file_conversation_offers_the_file_append_instead(client, ws, editor):
    account(ws, "symbl")
    conv = factories.conversation(ws)
    html = client.get(send_url(conv)).content.decode()
    assert "imported from a file" in html
    assert reverse("dashboard:recording_append", args=[conv.pk]) in html
    detail = client.get(reverse("dashboard:conversation_detail", args=[conv.pk])).content.decode()
    assert "Append a transcript file" in detail and "Send a recording to" not in detail


def test_a_vendor_conversation_offers_both_appends(client, ws, editor):
    conv = vendor_conversation(ws, account(ws, "elevenlabs"))
    detail = client.get(reverse("dashboard:conversation_detail", args=[conv.pk])).content.decode()
    assert "Append a transcript file" in detail
    assert f'href="{send_url(conv)}">Send a recording to ElevenLabs</a>' in detail
