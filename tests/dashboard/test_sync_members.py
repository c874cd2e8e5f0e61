"""Members' push states in the speakers panel: badges, the reason of a failure, polling only
while a push is pending, and retrying a failed push."""

from __future__ import annotations

import pytest
from django.urls import reverse

from diarization_portal.conversations.models import Member, SyncState
from diarization_portal.workspaces.models import Role
from tests import factories
from tests.broker import queued

from .conftest import (
    HX,
    member_rows,
    merged_duplicate,
    polls,
    set_states,
    vendor_conversation,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sync_settings")]


def speakers_url(conv) -> str:
    return reverse("dashboard:speakers_panel", args=[conv.pk])


def push_url(conv, member) -> str:
    return reverse("dashboard:member_push_retry", args=[conv.pk, member.pk])


def test_speakers_show_synced_pending_failed_and_nothing_for_local(client, ws, symbl, editor):
    conv = vendor_conversation(ws, symbl, members=4)
    reason = "Symbl answered PUT /v1/conversations/x/members/y with HTTP 404: not found"
    synced, pending, failed, local = set_states(
        conv, "synced", "pending", "failed", "local", error=reason
    )
    html = client.get(reverse("dashboard:conversation_detail", args=[conv.pk])).content.decode()
    assert ">synced</span>" in member_rows(html, synced)
    assert ">pending</span>" in member_rows(html, pending)
    cell = member_rows(html, failed)
    assert ">failed</span>" in cell and f'title="{reason}"' in cell
    reason_row = cell[cell.index(f'<tr class="sync-failure" id="member-{failed.pk}-sync">') :]
    assert "Not saved at Symbl.ai: Symbl answered PUT" in reason_row
    assert '<span class="visually-hidden">Symbl.ai sync: </span>failed' in cell
    assert f'hx-post="{push_url(conv, failed)}"' in cell and "Retry sync" in cell
    assert 'class="sync' not in member_rows(html, local)
    assert polls(html, "speakers")


def test_the_speakers_panel_polls_only_while_a_push_is_pending(client, ws, symbl, editor):
    conv = vendor_conversation(ws, symbl, members=2)
    set_states(conv, "pending", "synced")
    html = client.get(speakers_url(conv), **HX).content.decode()
    assert html.startswith('<section class="card" id="speakers"') and polls(html, "speakers")
    assert "data-keep-open-forms" in html  # never closes an open form (static/js/portal.js)
    Member.objects.filter(conversation=conv).update(sync_state=SyncState.SYNCED)
    html = client.get(speakers_url(conv), **HX).content.decode()
    assert not polls(html, "speakers") and html.count(">synced</span>") == 2


def test_renaming_a_synced_member_shows_it_pending_and_starts_polling(
    client, ws, symbl, editor, django_capture_on_commit_callbacks
):
    conv = vendor_conversation(ws, symbl, members=2)
    member, _ = set_states(conv, "synced", "synced")
    url = reverse("dashboard:member_rename", args=[conv.pk, member.pk])
    with django_capture_on_commit_callbacks(execute=True):
        html = client.post(url, {"name": "Ada Lovelace"}, **HX).content.decode()
    assert ">pending</span>" in member_rows(html, member) and polls(html, "speakers")
    assert queued() == [("push_member", (member.pk,))]


def test_file_conversations_show_no_sync_state(client, ws, editor):
    conv = factories.conversation(ws)
    html = client.get(reverse("dashboard:conversation_detail", args=[conv.pk])).content.decode()
    assert 'class="sync' not in html and not polls(html, "speakers")


def test_retry_sync_marks_the_member_pending_and_enqueues_the_push(
    client, ws, symbl, editor, django_capture_on_commit_callbacks
):
    conv = vendor_conversation(ws, symbl, members=2)
    failed, _ = set_states(conv, "failed", "synced", error="HTTP 503")
    with django_capture_on_commit_callbacks(execute=True):
        html = client.post(push_url(conv, failed), **HX).content.decode()
    assert html.lstrip().startswith('<section class="card" id="speakers"')
    assert f"Sending {failed.name} to Symbl.ai again." in html
    assert ">pending</span>" in member_rows(html, failed) and polls(html, "speakers")
    assert Member.objects.get(pk=failed.pk).sync_state == SyncState.PENDING
    assert queued() == [("push_member", (failed.pk,))]


def test_retry_sync_of_a_synced_member_is_refused(client, ws, symbl, editor):
    conv = vendor_conversation(ws, symbl, members=2)
    synced, _ = set_states(conv, "synced", "synced")
    response = client.post(push_url(conv, synced))
    assert response.url.endswith("#speakers")
    page = client.get(response.url).content.decode()
    assert "Cannot retry: only a failed push can be retried; this speaker is synced." in page
    assert queued() == []


def test_viewers_cannot_retry_a_push(client, ws, symbl):
    conv = vendor_conversation(ws, symbl, members=2)
    failed, _ = set_states(conv, "failed", "synced", error="HTTP 503")
    client.force_login(factories.user(ws, Role.VIEWER))
    html = client.get(speakers_url(conv), **HX).content.decode()
    assert ">failed</span>" in html and "Retry sync" not in html
    assert client.post(push_url(conv, failed), **HX).status_code == 403
    assert Member.objects.get(pk=failed.pk).sync_state == SyncState.FAILED


def test_a_merged_members_failed_push_is_listed_with_a_retry(client, ws, symbl, editor):
    conv = vendor_conversation(ws, symbl, members=3)
    target = conv.members.order_by("position").first()
    source = merged_duplicate(conv, target, sync_error="HTTP 500")
    html = client.get(speakers_url(conv), **HX).content.decode()
    merged = html[html.index('class="merged-sync"') :]
    assert f'{source.name}</span> <span class="muted">→ {target.name}' in merged
    assert ">failed</span>" in merged and f'hx-post="{push_url(conv, source)}"' in merged
