"""Speech Engines on the ElevenLabs account page: link by id, what the vendor returned,
errors, privacy warnings, refresh and unlink (admins only), query count."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from diarization_portal.sync.models import SpeechEngineLink
from diarization_portal.sync.services import _queue
from diarization_portal.workspaces.models import Role, Workspace
from providers.elevenlabs import parse_speech_engine
from tests import factories
from tests.dashboard.conftest import account
from tests.dashboard.test_views import count_queries
from tests.sync.conftest import recorded

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(ws, client, sync_settings):
    user = factories.user(ws, Role.ADMIN)
    client.force_login(user)
    return user


@pytest.fixture
def enqueued(monkeypatch):
    calls = []
    monkeypatch.setattr(_queue, "async_task", lambda func, *args: calls.append((func, args)))
    return calls


def page_url(acc) -> str:
    return reverse("dashboard:account_edit", args=[acc.workspace.slug, acc.pk])


def engines_url(acc, name: str = "speech_engine_link", *args) -> str:
    return reverse(f"dashboard:{name}", args=[acc.workspace.slug, acc.pk, *args])


def linked(acc, engine_id: str, body: dict | None = None, **fields) -> SpeechEngineLink:
    if body is not None:
        fields.update(
            details=parse_speech_engine(body).as_dict(), fetched_at=timezone.now(), state="ok"
        )
    return SpeechEngineLink.objects.create(account=acc, engine_id=engine_id, **fields)


def test_the_page_shows_what_the_engine_returned(client, ws, admin):
    acc = account(ws, "elevenlabs")
    linked(acc, "seng_support_eu", recorded("elevenlabs", "speech_engine_full.json"))
    page = client.get(page_url(acc)).content.decode()
    for text in (
        "Support line (EU)",
        "seng_support_eu",
        "elevenlabs · high quality · input ulaw_8000",
        "Kündigung",
        "records voice: no",
        "retention: 14 days",
        "redacts name, email_address",
        "concurrency unlimited · 5000 a day · bursting on",
        "your role: editor",
    ):
        assert text in page, text


def test_privacy_contradictions_are_warned(client, ws, admin):
    Workspace.objects.filter(pk=ws.pk).update(retention_days=30, delete_audio=True)
    acc = account(ws, "elevenlabs")
    linked(acc, "seng_support_eu", recorded("elevenlabs", "speech_engine_full.json"))
    page = client.get(page_url(acc)).content.decode()
    assert 'data-field="record_voice"' in page and "no recording to import or play back" in page
    assert "(14 days) is shorter than this workspace&#x27;s (30 days)" in page


def test_an_engine_that_agrees_has_no_warning(client, ws, admin):
    acc = account(ws, "elevenlabs")
    linked(acc, "se_123", recorded("elevenlabs", "speech_engine.json"))
    page = client.get(page_url(acc)).content.decode()
    assert "Support line" in page and "privacy-conflict" not in page


@pytest.mark.parametrize(
    ("error_type", "shown"),
    [
        ("http_404", "knows no Speech Engine with this id (404)"),
        ("http_401", "refused the API key (401)"),
    ],
)
def test_errors_are_shown(client, ws, admin, error_type, shown):
    acc = account(ws, "elevenlabs")
    linked(acc, "seng_missing", state="error", error_type=error_type, error_message="ElevenLabs: …")
    page = client.get(page_url(acc)).content.decode()
    assert shown in page and 'role="alert"' in page


def test_linking_enqueues_a_read_and_the_section_polls_while_pending(
    client, ws, admin, enqueued, django_capture_on_commit_callbacks
):
    acc = account(ws, "elevenlabs")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(engines_url(acc), {"engine_id": "seng_new"})
    assert response.status_code == 302
    link = SpeechEngineLink.objects.get()
    assert enqueued == [("diarization_portal.sync.tasks.refresh_speech_engine", (link.pk,))]
    page = client.get(page_url(acc)).content.decode()
    assert "Reading the engine from ElevenLabs" in page and 'hx-trigger="every 2s"' in page
    fragment = client.get(engines_url(acc, "speech_engines")).content.decode()
    assert fragment.startswith('<section class="note speech-engines"')


def test_a_bad_id_is_refused_on_the_page(client, ws, admin, enqueued):
    acc = account(ws, "elevenlabs")
    response = client.post(engines_url(acc), {"engine_id": "seng 1/../x"})
    assert response.status_code == 400
    assert "Enter the engine id as ElevenLabs shows it" in response.content.decode()
    assert not SpeechEngineLink.objects.exists() and enqueued == []


def test_refresh_and_unlink(client, ws, admin, enqueued, django_capture_on_commit_callbacks):
    acc = account(ws, "elevenlabs")
    link = linked(acc, "se_123", recorded("elevenlabs", "speech_engine.json"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            engines_url(acc, "speech_engine_refresh", link.pk), HTTP_HX_REQUEST="true"
        )
    assert response.status_code == 200 and "Fetching" in response.content.decode()
    assert enqueued == [("diarization_portal.sync.tasks.refresh_speech_engine", (link.pk,))]
    assert client.post(engines_url(acc, "speech_engine_unlink", link.pk)).status_code == 302
    assert not SpeechEngineLink.objects.exists()


def test_only_admins_and_only_elevenlabs(client, ws, sync_settings):
    acc = account(ws, "elevenlabs")
    link = linked(acc, "se_123")
    client.force_login(factories.user(ws, Role.EDITOR))
    assert client.post(engines_url(acc), {"engine_id": "seng_x"}).status_code == 403
    assert client.post(engines_url(acc, "speech_engine_unlink", link.pk)).status_code == 403
    client.force_login(factories.user(ws, Role.ADMIN))
    symbl = account(ws, "symbl")
    assert client.post(engines_url(symbl), {"engine_id": "seng_x"}).status_code == 404
    assert "Speech Engines" not in client.get(page_url(symbl)).content.decode()
    other = account(factories.workspace(), "elevenlabs", label="theirs")
    assert client.post(engines_url(other, "speech_engine_unlink", link.pk)).status_code == 404
    assert SpeechEngineLink.objects.count() == 1


def test_page_query_count_does_not_grow_with_engines(client, ws, admin):
    acc = account(ws, "elevenlabs")
    body = recorded("elevenlabs", "speech_engine_full.json")
    linked(acc, "seng_0", body)
    few = count_queries(client, page_url(acc))
    for n in range(1, 12):
        linked(acc, f"seng_{n}", body if n % 3 else None, state="error" if n % 3 == 0 else "ok")
    many = count_queries(client, page_url(acc))
    assert len(many) == len(few), many.sql()
