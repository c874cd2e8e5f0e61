"""Privacy and retention page: admins only, saving the policy, the due list with export links
(query count), the runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from diarization_portal.conversations.models import Conversation
from diarization_portal.conversations.services.retention import retention_enforce
from diarization_portal.workspaces.models import Role, Workspace
from tests import factories
from tests.dashboard.test_views import count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(ws, client):
    user = factories.user(ws, Role.ADMIN)
    client.force_login(user)
    return user


def url(ws, **query) -> str:
    base = reverse("dashboard:privacy_settings", args=[ws.slug])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def aged(ws, days: float, title: str = "Call") -> Conversation:
    conv = factories.conversation(ws, title=title, messages=3)
    Conversation.objects.filter(pk=conv.pk).update(created_at=timezone.now() - timedelta(days=days))
    return conv


def policy(ws, **fields) -> Workspace:
    Workspace.objects.filter(pk=ws.pk).update(
        apply_to_existing_conversations=True, retention_policy_since=timezone.now(), **fields
    )
    return Workspace.objects.get(pk=ws.pk)


POST = {
    "record_voice": "on",
    "retention_days": "30",
    "delete_transcript_and_pii": "on",
}


@pytest.mark.parametrize("role", [Role.EDITOR, Role.VIEWER])
def test_only_admins_see_the_page(client, ws, role):
    client.force_login(factories.user(ws, role))
    assert client.get(url(ws)).status_code == 403
    assert client.post(url(ws), POST).status_code == 403
    client.force_login(factories.user(factories.workspace(), Role.ADMIN))
    assert client.get(url(ws)).status_code == 404


def test_the_form_shows_every_option_with_its_help(client, ws, admin):
    page = client.get(url(ws)).content.decode()
    for name in (
        "record_voice",
        "retention_days",
        "delete_audio",
        "delete_transcript_and_pii",
        "apply_to_existing_conversations",
        "zero_retention_mode",
    ):
        assert f'name="{name}"' in page
    assert "-1 keeps everything for ever" in page
    assert "Nothing is deleted" in page


def test_saving_the_policy_records_when_it_took_effect(client, ws, admin):
    response = client.post(url(ws), POST)
    assert response.status_code == 302
    ws.refresh_from_db()
    assert (ws.retention_days, ws.delete_transcript_and_pii, ws.record_voice) == (30, True, True)
    assert not ws.zero_retention_mode and not ws.apply_to_existing_conversations
    assert ws.retention_policy_since is not None


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"retention_days": "-1", "delete_audio": "on"}, "with -1 nothing is ever deleted"),
        ({"retention_days": "-2"}, "greater than or equal to -1"),
        ({"retention_days": "soon"}, "Enter a whole number"),
    ],
)
def test_invalid_policies_are_refused(client, ws, admin, data, error):
    response = client.post(url(ws), data)
    assert response.status_code == 400 and error in response.content.decode()
    ws.refresh_from_db()
    assert ws.retention_days == -1 and not ws.delete_audio


def test_due_list_links_to_the_exports_and_respects_the_window(client, ws, admin):
    policy(ws, retention_days=30, delete_transcript_and_pii=True)
    overdue, soon, later = aged(ws, 40, "Overdue"), aged(ws, 25, "Soon"), aged(ws, 1, "Later")
    page = client.get(url(ws, days=7)).content.decode()
    for conv in (overdue, soon):
        for fmt in ("json", "vtt", "srt", "rttm"):
            assert f"/c/{conv.pk}/export.{fmt}" in page
    assert "Later" not in page and f"/c/{later.pk}/export.json" not in page
    assert "next run" in page  # the overdue one
    assert f"/c/{later.pk}/export.json" in client.get(url(ws, days=60)).content.decode()


def test_due_list_query_count_does_not_grow(client, ws, admin):
    policy(ws, retention_days=30, delete_audio=True, delete_transcript_and_pii=True)
    aged(ws, 40)
    retention_enforce(workspace=ws)
    aged(ws, 41)
    few = count_queries(client, url(ws))
    for n in range(15):
        aged(ws, 35 + n)
    Workspace.objects.filter(pk=ws.pk).update(retention_days=31)  # a second run
    retention_enforce(workspace=Workspace.objects.get(pk=ws.pk))
    for n in range(15):
        aged(ws, 35 + n)
    many = count_queries(client, url(ws))
    assert len(many) == len(few), many.sql()
    assert len(few) <= 8, few.sql()


def test_runs_show_what_was_deleted(client, ws, admin):
    ws = policy(ws, retention_days=30, delete_transcript_and_pii=True)
    aged(ws, 40)
    aged(ws, 45)
    retention_enforce(workspace=ws)
    page = client.get(url(ws)).content.decode()
    assert "The retention task has deleted nothing here yet" not in page
    run_row = page.split('class="table run-list"')[1]
    assert '<td class="num">2</td>' in run_row and '<td class="num">6</td>' in run_row
