"""Transcript files over the API: import as a new conversation, append to one, parse errors
naming the line or JSON path, and streamed exports with current names, content type and
``Content-Disposition`` whose query count does not grow with the messages."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from diarization_portal.conversations.models import Conversation, Job, JobKind, Member, Message
from diarization_portal.conversations.services import speakers
from diarization_portal.workspaces.models import Membership, Role
from tests import factories
from tests.api.conftest import QueryCount, bearer
from tests.conftest import SAMPLES

pytestmark = pytest.mark.django_db


@pytest.fixture
def auth(people):
    return bearer(people["editor"])


def upload(name: str, data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data if data is not None else (SAMPLES / name).read_bytes())


def import_file(client, auth, **form):
    return client.post(reverse("api:conversation_import"), form, **auth)


# -- import -----------------------------------------------------------------------------------


def test_import_creates_a_conversation_and_answers_the_counts(client, ws, auth):
    response = import_file(client, auth, file=upload("weekly-sync.symbl.json"))
    assert response.status_code == 201, response.content
    body = response.json()
    conv = Conversation.objects.get(pk=int(body["conversationId"]))
    assert conv.workspace == ws and conv.title == "Weekly product sync"
    messages = Message.objects.filter(conversation=conv).count()
    members = Member.objects.filter(conversation=conv).count()
    assert body == {
        "conversationId": str(conv.pk),
        "jobId": str(Job.objects.get(conversation=conv, kind=JobKind.IMPORT).pk),
        "members": members,
        "messages": messages,
        "insights": conv.insights.count(),
        "created": {"members": members, "messages": messages, "insights": conv.insights.count()},
    }
    assert messages > 10


def test_import_with_format_title_and_workspace(client, ws, people, auth):
    second = factories.workspace("Second")
    Membership.objects.create(user=people["editor"], workspace=second, role=Role.EDITOR)
    response = import_file(
        client,
        auth,
        file=upload("customer-call.rttm"),
        format="rttm",
        title="Support call",
        workspace=second.slug,
    )
    assert response.status_code == 201, response.content
    conv = Conversation.objects.get(pk=int(response.json()["conversationId"]))
    assert (conv.workspace, conv.title, conv.source_format) == (second, "Support call", "rttm")


def test_without_workspace_several_editable_workspaces_are_400(client, ws, people, auth):
    second = factories.workspace("Second")
    Membership.objects.create(user=people["editor"], workspace=second, role=Role.ADMIN)
    response = import_file(client, auth, file=upload("customer-call.rttm"))
    assert response.status_code == 400
    assert response.json()["errors"][0]["loc"] == ["body", "workspace"]
    assert not Conversation.objects.exists()


def test_readers_cannot_import_and_strangers_get_404(client, ws, people):
    viewer = import_file(client, bearer(people["viewer"]), file=upload("customer-call.rttm"))
    assert viewer.status_code == 403
    named = import_file(
        client, bearer(people["viewer"]), file=upload("customer-call.rttm"), workspace=ws.slug
    )
    assert named.status_code == 403
    outsider = import_file(
        client, bearer(people["outsider"]), file=upload("customer-call.rttm"), workspace=ws.slug
    )
    assert outsider.status_code == 404
    assert not Conversation.objects.filter(workspace=ws).exists()


@pytest.mark.parametrize(
    "name, data, fmt, location",
    [
        ("bad.rttm", b"SPEAKER f 1 0.0 1.0 <NA> <NA> a <NA> <NA>\nSPEAKER f 1 x", "rttm", "line 2"),
        (
            "bad.json",
            json.dumps({"messages": [{"id": "1", "text": "hi", "startTime": 3}]}).encode(),
            "symbl",
            "messages[0]",
        ),
        ("empty.vtt", b"WEBVTT\n\n", "vtt", None),
    ],
)
def test_an_unreadable_file_is_a_parse_error_naming_where(client, auth, name, data, fmt, location):
    response = import_file(client, auth, file=upload(name, data), format=fmt)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["type"] == "parse_error"
    assert body["message"].startswith(f"{name}: ")
    loc = body["errors"][0]["loc"]
    assert loc[:2] == ["body", "file"]
    if location is not None:
        assert loc[2].startswith(location), loc
        assert location in body["message"]
    assert not Conversation.objects.exists()


@pytest.mark.parametrize(
    "form, loc",
    [
        ({}, ["body", "file"]),
        ({"file": "not a file"}, ["body", "file"]),
        ({"format": "docx", "file": "F"}, ["body", "format"]),
        ({"title": "x" * 201, "file": "F"}, ["body", "title"]),
        ({"workspace": "not a slug!", "file": "F"}, ["body", "workspace"]),
    ],
)
def test_bad_forms_name_the_field(client, auth, form, loc):
    form = {k: upload("customer-call.rttm") if v == "F" else v for k, v in form.items()}
    response = import_file(client, auth, **form)
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
    assert response.json()["errors"][0]["loc"] == loc


def test_a_json_body_is_415(client, auth):
    response = client.post(
        reverse("api:conversation_import"), {"file": "x"}, content_type="application/json", **auth
    )
    assert response.status_code == 415


def test_append_adds_a_recording_and_the_same_file_again_changes_nothing(client, ws, auth):
    conv = factories.conversation(ws, members=2, messages=4)
    url = reverse("api:conversation_append_import", args=[conv.pk])
    first = client.post(url, {"file": upload("weekly-sync-part2.srt")}, **auth)
    assert first.status_code == 200, first.content
    body = first.json()
    assert body["conversationId"] == str(conv.pk)
    assert body["created"]["messages"] == body["messages"] > 0
    assert Message.objects.filter(conversation=conv).count() == 4 + body["messages"]
    # The appended recording starts where the conversation ended.
    earliest = Message.objects.filter(job_id=int(body["jobId"])).order_by("start").first()
    assert earliest.start >= 2.0 * 3 + 1.8
    again = client.post(url, {"file": upload("weekly-sync-part2.srt")}, **auth).json()
    assert again["created"] == {"members": 0, "messages": 0, "insights": 0}
    assert again["jobId"] == body["jobId"]


def test_append_with_a_bad_file_writes_nothing(client, ws, auth):
    conv = factories.conversation(ws, members=2, messages=4)
    response = client.post(
        reverse("api:conversation_append_import", args=[conv.pk]),
        {"file": upload("x.srt", b"1\n00:00:01,000 --> nonsense\nAna: hi\n"), "format": "srt"},
        **auth,
    )
    assert response.status_code == 400
    assert response.json()["type"] == "parse_error"
    assert Message.objects.filter(conversation=conv).count() == 4


def test_a_nul_character_in_a_file_is_a_400_naming_the_utterance(client, ws, auth):
    """PostgreSQL cannot store U+0000; the import refuses it (on every backend) before
    writing anything, instead of failing in the database with a server error."""
    data = b"1\n00:00:01,000 --> 00:00:02,000\nAna: before\x00after\n"
    response = import_file(client, auth, file=upload("nul.srt", data), format="srt")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["type"] == "parse_error"
    assert body["message"] == (
        "nul.srt: utterance 0: text contains a NUL character (U+0000), which cannot be stored"
    )
    assert not Conversation.objects.filter(workspace=ws).exists()


# -- export -----------------------------------------------------------------------------------


def export(client, conv, fmt, auth):
    return client.get(reverse("api:conversation_export", args=[conv.pk]), {"format": fmt}, **auth)


@pytest.mark.parametrize(
    "fmt, content_type, first_line",
    [
        ("vtt", "text/vtt; charset=utf-8", "WEBVTT"),
        ("srt", "application/x-subrip; charset=utf-8", "1"),
        ("rttm", "text/plain; charset=utf-8", "SPEAKER"),
        ("json", "application/json", "{"),
    ],
)
def test_export_streams_the_file_with_current_names(
    client, ws, people, fmt, content_type, first_line
):
    conv = factories.conversation(ws, members=2, messages=6, title="Weekly sync")
    member = conv.members.get(name="Speaker 1")
    speakers.member_rename(member=member, name="Priya Natarajan")
    response = export(client, conv, fmt, bearer(people["viewer"]))
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="weekly-sync.{fmt}"'
    text = b"".join(response.streaming_content).decode()
    assert text.startswith(first_line)
    assert ("Priya_Natarajan" if fmt == "rttm" else "Priya Natarajan") in text
    assert "Speaker 1" not in text


@pytest.mark.parametrize(
    "query, loc", [({}, ["query", "format"]), ({"format": "docx"}, ["query", "format"])]
)
def test_export_without_a_known_format_is_400_in_json(client, ws, auth, query, loc):
    conv = factories.conversation(ws, members=1, messages=1)
    response = client.get(
        reverse("api:conversation_export", args=[conv.pk]), query, HTTP_ACCEPT="text/vtt", **auth
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"][0]["loc"] == loc


@pytest.mark.parametrize("fmt", ["vtt", "srt", "rttm", "json"])
def test_export_query_count_does_not_grow_with_messages(client, ws, auth, fmt):
    def counted(conv):
        with QueryCount(connection) as ctx:
            response = export(client, conv, fmt, auth)
            b"".join(response.streaming_content)
        assert response.status_code == 200
        return ctx

    small = factories.conversation(ws, members=2, messages=3, insights=1)
    large = factories.conversation(ws, members=6, messages=900, insights=40)
    counted(small)  # records the key's use
    few, many = counted(small), counted(large)
    assert len(many) == len(few), many.sql()
    assert len(few) <= 9, few.sql()
