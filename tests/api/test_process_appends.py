"""Submits on Symbl's Async API paths, continued: which provider account a submit uses, and
appends of further recordings to a conversation (by URL or file; Symbl needs its conversation
id first)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from diarization_portal.conversations.models import Conversation, Job, JobKind, JobState
from diarization_portal.workspaces.models import Membership, Role
from tests import factories
from tests.api.conftest import bearer
from tests.api.submits import URL, make_account, submit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("submit_settings")]


@pytest.fixture
def auth(people):
    return bearer(people["editor"])


# -- which account ------------------------------------------------------------------------------


def test_without_account_id_the_only_account_is_used_else_it_is_asked_for(client, auth, ws, people):
    none = submit(client, auth, {"url": URL})
    assert none.status_code == 400
    assert none.json()["errors"][0]["loc"] == ["body", "accountId"]
    make_account(ws)
    # An account of a workspace the caller only reads does not count.
    elsewhere = factories.workspace("Read only")
    Membership.objects.create(user=people["editor"], workspace=elsewhere, role=Role.VIEWER)
    make_account(elsewhere)
    assert submit(client, auth, {"url": URL}).status_code == 201
    make_account(ws, "elevenlabs")
    several = submit(client, auth, {"url": URL})
    assert several.status_code == 400
    assert "several provider accounts" in several.json()["errors"][0]["msg"]


def test_an_account_the_caller_only_reads_is_403_and_a_foreign_one_400(client, ws, people, symbl):
    viewer = submit(client, bearer(people["viewer"]), {"url": URL, "accountId": str(symbl.pk)})
    assert viewer.status_code == 403
    assert viewer.json()["type"] == "permission_denied"
    outsider = submit(client, bearer(people["outsider"]), {"url": URL, "accountId": str(symbl.pk)})
    assert outsider.status_code == 400
    assert outsider.json()["errors"][0] == {
        "loc": ["body", "accountId"],
        "msg": "no such provider account in your workspaces",
    }
    assert not Job.objects.exists()


# -- appends ------------------------------------------------------------------------------------


def symbl_conversation(ws, symbl, external_id="5120334411530240") -> Conversation:
    conv = factories.conversation(ws, members=2, messages=4)
    conv.vendor, conv.external_id = "symbl", external_id
    conv.save()
    Job.objects.create(conversation=conv, kind=JobKind.PROCESS, account=symbl, state=JobState.DONE)
    return conv


def test_append_by_url_uses_the_conversations_account(client, auth, ws, symbl):
    conv = symbl_conversation(ws, symbl)
    response = submit(
        client,
        auth,
        {"url": URL, "name": "renamed?"},
        name="append_audio_url",
        args=[conv.pk],
        method="put",
    )
    assert response.status_code == 201, response.content
    job = Job.objects.get(kind=JobKind.APPEND)
    assert response.json() == {
        "conversationId": str(conv.pk),
        "jobId": str(job.pk),
        "ignored": ["name"],
    }
    assert (job.conversation_id, job.account_id, job.source_url) == (conv.pk, symbl.pk, URL)
    conv.refresh_from_db()
    assert conv.title == "Generated"


def test_append_a_file_as_raw_bytes(client, auth, ws, symbl):
    conv = symbl_conversation(ws, symbl)
    response = client.put(
        reverse("api:append_audio", args=[conv.pk]),
        b"ID3 mp3 bytes",
        content_type="audio/mpeg",
        **auth,
    )
    assert response.status_code == 201, response.content
    job = Job.objects.get(kind=JobKind.APPEND)
    assert job.media.read() == b"ID3 mp3 bytes" and job.media.name.endswith(".mp3")


def test_a_symbl_append_before_the_first_submit_is_409(client, auth, ws, symbl):
    conv = symbl_conversation(ws, symbl, external_id="")
    response = submit(
        client, auth, {"url": URL}, name="append_video_url", args=[conv.pk], method="put"
    )
    assert response.status_code == 409
    assert response.json()["type"] == "conflict"
    assert not Job.objects.filter(kind=JobKind.APPEND).exists()


def test_an_append_needs_an_account_of_the_conversations_vendor(client, auth, ws, symbl):
    file_conv = factories.conversation(ws, members=1, messages=1)
    no_job = submit(
        client, auth, {"url": URL}, name="append_audio_url", args=[file_conv.pk], method="put"
    )
    assert no_job.status_code == 400
    assert no_job.json()["errors"][0]["loc"] == ["body", "accountId"]
    wrong = submit(
        client,
        auth,
        {"url": URL, "accountId": str(symbl.pk)},
        name="append_audio_url",
        args=[file_conv.pk],
        method="put",
    )
    assert wrong.status_code == 400
    assert "came from File import" in wrong.json()["errors"][0]["msg"]
    other_ws = make_account(factories.workspace("B"))
    conv = symbl_conversation(ws, symbl)
    foreign = submit(
        client,
        auth,
        {"url": URL, "accountId": str(other_ws.pk)},
        name="append_audio_url",
        args=[conv.pk],
        method="put",
    )
    assert foreign.status_code == 400
    assert not Job.objects.filter(kind=JobKind.APPEND).exists()
