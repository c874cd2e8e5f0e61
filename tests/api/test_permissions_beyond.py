"""Who may do what on the endpoints beyond Symbl's Conversation API (speaker operations,
history, jobs and their retry, member pushes, submits, imports, exports, accounts): admin,
editor, commenter, viewer, a member of another workspace (outsider) and an anonymous caller, by
GET/POST/PUT/PATCH/DELETE. Readers read, editors edit, only admins manage accounts, outsiders
get 404 for anything under a conversation, job or account, and a refused call changes
nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse

from diarization_portal.conversations.models import (
    Conversation,
    Job,
    JobKind,
    JobState,
    Member,
    SpeakerEdit,
    SyncState,
)
from diarization_portal.conversations.services import speakers
from diarization_portal.sync.models import ProviderAccount
from tests import factories
from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db

CALLERS = ("anonymous", "outsider", "viewer", "commenter", "editor", "admin")
EDITORS = {"admin", "editor"}
VERBS = ("GET", "POST", "PUT", "PATCH", "DELETE")
WRITES = ("POST", "PUT", "PATCH")
URL = "https://media.example.org/a.mp3"
RTTM = b"SPEAKER f 1 0.50 1.25 <NA> <NA> spk_a <NA> <NA>\n"


@dataclass
class World:
    conv: Conversation
    account: ProviderAccount
    job: Job
    failed_job: Job
    edit: SpeakerEdit
    first: Member
    second: Member
    ws_slug: str


def make_world(ws) -> World:
    conv = factories.conversation(ws, members=3, messages=9, insights=3)
    account = ProviderAccount(workspace=ws, vendor="symbl", label=f"Symbl {conv.pk}")
    account.set_secrets(app_id="a", app_secret="b")
    account.save()
    conv.vendor, conv.external_id = "symbl", "5120334411530240"
    conv.save()
    job = Job.objects.create(
        conversation=conv, kind=JobKind.PROCESS, account=account, state=JobState.DONE
    )
    failed_job = Job.objects.create(
        conversation=conv,
        kind=JobKind.APPEND,
        account=account,
        state=JobState.FAILED,
        error_type="http_503",
    )
    first, second, third = conv.members.order_by("position")
    edit = speakers.member_rename(member=third, name="Lucy")
    Member.objects.filter(pk=first.pk).update(sync_state=SyncState.FAILED, sync_error="timeout")
    return World(conv, account, job, failed_job, edit, first, second, ws.slug)


@pytest.fixture
def world(ws, settings, tmp_path) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_world(ws)


def _json(body: dict) -> tuple[bytes, str]:
    return json.dumps(body).encode(), "application/json"


def _form(fields: dict) -> tuple[bytes, str]:
    return encode_multipart(BOUNDARY, fields), MULTIPART_CONTENT


def _file():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("part.rttm", RTTM)


# Endpoint → (URL args, {verb: (status for allowed callers, "read" | "edit" | "admin")}, body
# builder, scope): scope "conversation"/"job"/"account" means outsiders get 404 for every verb.
@dataclass
class Endpoint:
    args: Any
    verbs: dict[str, tuple[int, str]]
    body: Any = None
    scope: str = "conversation"
    query: str = ""


def first_message(w: World) -> str:
    return str(w.first.messages.order_by("start").first().pk)


ENDPOINTS: dict[str, Endpoint] = {
    "member_merge": Endpoint(
        lambda w: [w.conv.pk, w.second.uuid],
        {"POST": (200, "edit")},
        lambda w: _json({"targetId": str(w.first.uuid)}),
    ),
    "messages_split": Endpoint(
        lambda w: [w.conv.pk],
        {"POST": (201, "edit")},
        lambda w: _json({"messageIds": [first_message(w)], "name": "Ravi"}),
    ),
    "messages_reassign": Endpoint(
        lambda w: [w.conv.pk],
        {"POST": (200, "edit")},
        lambda w: _json({"messageIds": [first_message(w)], "memberId": str(w.second.uuid)}),
    ),
    "edit_list": Endpoint(lambda w: [w.conv.pk], {"GET": (200, "read")}),
    "edit_undo": Endpoint(lambda w: [w.conv.pk, w.edit.pk], {"POST": (200, "edit")}),
    "job_list": Endpoint(lambda w: [w.conv.pk], {"GET": (200, "read")}),
    "job_detail": Endpoint(lambda w: [w.job.pk], {"GET": (200, "read")}, scope="job"),
    "job_status": Endpoint(lambda w: [w.job.pk], {"GET": (200, "read")}, scope="job"),
    "job_retry": Endpoint(lambda w: [w.failed_job.pk], {"POST": (200, "edit")}, scope="job"),
    "member_push": Endpoint(
        lambda w: [w.conv.pk, w.first.uuid], {"GET": (200, "read"), "POST": (200, "edit")}
    ),
    "conversation_export": Endpoint(
        lambda w: [w.conv.pk], {"GET": (200, "read")}, query="?format=json"
    ),
    "conversation_append_import": Endpoint(
        lambda w: [w.conv.pk], {"POST": (200, "edit")}, lambda w: _form({"file": _file()})
    ),
    "append_audio_url": Endpoint(
        lambda w: [w.conv.pk], {"PUT": (201, "edit")}, lambda w: _json({"url": URL})
    ),
    "append_video_url": Endpoint(
        lambda w: [w.conv.pk], {"PUT": (201, "edit")}, lambda w: _json({"url": URL})
    ),
    "append_audio": Endpoint(
        lambda w: [w.conv.pk], {"PUT": (201, "edit")}, lambda w: (b"RIFF wav", "audio/wav")
    ),
    "append_video": Endpoint(
        lambda w: [w.conv.pk], {"PUT": (201, "edit")}, lambda w: (b"mp4 bytes", "video/mp4")
    ),
    "account_detail": Endpoint(
        lambda w: [w.account.pk],
        {"GET": (200, "read"), "PATCH": (200, "admin"), "DELETE": (204, "admin")},
        lambda w: _json({"label": f"Renamed {w.conv.pk}", "appSecret": "new-secret"}),
        scope="account",
    ),
    # Not under an object: outsiders are refused by what the body names (400 for an account
    # id that is not theirs, 404 for a workspace slug); a missing verb is a 405 for anyone.
    "process_audio_url": Endpoint(
        lambda w: [],
        {"POST": (201, "edit")},
        lambda w: _json({"url": URL, "accountId": str(w.account.pk)}),
        scope="",
    ),
    "process_video_url": Endpoint(
        lambda w: [],
        {"POST": (201, "edit")},
        lambda w: _json({"url": URL, "accountId": str(w.account.pk)}),
        scope="",
    ),
    "process_audio": Endpoint(
        lambda w: [], {"POST": (201, "edit")}, lambda w: (b"RIFF wav", "audio/wav"), scope=""
    ),
    "process_video": Endpoint(
        lambda w: [],
        {"POST": (201, "edit")},
        lambda w: _form({"file": _file(), "accountId": str(w.account.pk)}),
        scope="",
    ),
    "conversation_import": Endpoint(
        lambda w: [],
        {"POST": (201, "edit")},
        lambda w: _form({"file": _file(), "workspace": w.ws_slug}),
        scope="",
    ),
    "account_list": Endpoint(
        lambda w: [],
        {"GET": (200, "read"), "POST": (201, "admin")},
        lambda w: _json(
            {
                "workspace": w.ws_slug,
                "vendor": "deepaffects",
                "label": f"New {w.conv.pk}",
                "apiKey": "k",
            }
        ),
        scope="",
    ),
}
OUTSIDER_UNSCOPED = {
    ("process_audio_url", "POST"): 400,
    ("process_video_url", "POST"): 400,
    ("process_audio", "POST"): 400,
    ("process_video", "POST"): 400,
    ("conversation_import", "POST"): 404,
    ("account_list", "GET"): 200,  # their own workspaces' accounts
    ("account_list", "POST"): 404,  # the workspace of the body is not theirs
}


def expected(caller: str, name: str, verb: str) -> int:
    endpoint = ENDPOINTS[name]
    if caller == "anonymous":
        return 401
    if caller == "outsider" and endpoint.scope:
        return 404
    rule = endpoint.verbs.get(verb)
    if rule is None:
        return 405
    if caller == "outsider":
        return OUTSIDER_UNSCOPED[name, verb]
    status, need = rule
    if need == "edit" and caller not in EDITORS:
        return 403
    if need == "admin" and caller != "admin":
        return 403
    return status


def url_of(name: str, w: World) -> str:
    endpoint = ENDPOINTS[name]
    query = endpoint.query
    if name == "process_audio":
        query = f"?accountId={w.account.pk}"
    return reverse(f"api:{name}", args=endpoint.args(w)) + query


def state(w: World) -> tuple:
    return (
        Conversation.objects.count(),
        sorted(Job.objects.values_list("pk", "state", "attempts", "account_id")),
        sorted(SpeakerEdit.objects.values_list("pk", "undone_at")),
        sorted(Member.objects.values_list("pk", "name", "merged_into_id", "sync_state")),
        sorted(w.conv.messages.values_list("pk", "member_id")),
        sorted(ProviderAccount.objects.values_list("pk", "label", "base_url", "secrets", "vendor")),
    )


def call(client, name: str, verb: str, w: World, headers: dict):
    builder = ENDPOINTS[name].body
    data, content_type = builder(w) if builder and verb in WRITES else (b"", "")
    return client.generic(
        verb, url_of(name, w), data, content_type=content_type or "application/json", **headers
    )


@pytest.mark.parametrize("verb", VERBS)
@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_role_and_verb_matrix(client, ws, people, world, name, verb):
    """Every caller in turn; an allowed write gets a fresh world for the next caller."""
    w = world
    for caller in CALLERS:
        headers = {} if caller == "anonymous" else bearer(people[caller])
        before = state(w)
        response = call(client, name, verb, w, headers)
        want = expected(caller, name, verb)
        assert response.status_code == want, (caller, response.content)
        if want >= 400:
            assert set(response.json()) == {"type", "message", "errors"}, caller
            assert state(w) == before, caller
        elif verb != "GET":
            assert state(w) != before, caller
            w = make_world(ws)


@pytest.mark.parametrize("verb", VERBS)
def test_another_workspace_is_404_for_every_verb_on_every_object(client, people, world, verb):
    """An admin of another workspace gets the same 404 as for an id that does not exist."""
    headers = bearer(people["outsider"])
    missing = World(
        Conversation(pk=10**9),
        ProviderAccount(pk=10**9),
        Job(pk=10**9),
        Job(pk=10**9),
        SpeakerEdit(pk=10**9),
        world.first,
        world.second,
        world.ws_slug,
    )
    before = state(world)
    for name, endpoint in ENDPOINTS.items():
        if not endpoint.scope:
            continue
        builder = endpoint.body
        data, content_type = builder(world) if builder and verb in WRITES else (b"", "")
        theirs = client.generic(
            verb, url_of(name, world), data, content_type=content_type or "text/plain", **headers
        )
        assert theirs.status_code == 404, (name, theirs.content)
        nothing = client.generic(
            verb, url_of(name, missing), data, content_type="text/plain", **headers
        )
        assert nothing.status_code == 404, (name, nothing.content)
        assert theirs.json() == nothing.json()
    assert state(world) == before
