"""The schema of the endpoints beyond Symbl's Conversation API, and a schemathesis run of each
of their operations against the in-process WSGI app: no 5xx, and every reply (status, content
type, headers, body) conforms to the schema, uploads and streamed exports included. Submits,
job retries and member pushes only queue tasks (the on-commit enqueue never runs in these
tests): no vendor is called. Account writes run with a workspace admin's key."""

from __future__ import annotations

import uuid

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from diarization_portal.conversations.models import (
    Job,
    JobKind,
    JobState,
    Member,
    Message,
    SyncState,
)
from diarization_portal.conversations.services import speakers
from diarization_portal.sync.models import ProviderAccount
from diarization_portal.workspaces.models import Role
from tests import factories
from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db

BEYOND_SYMBL_TAGS = {"speakers", "jobs", "sync", "process", "files", "accounts"}
BEYOND_SYMBL_PATHS = {
    "/api/v1/conversations/{id}/members/{member_id}/merge",
    "/api/v1/conversations/{id}/split",
    "/api/v1/conversations/{id}/messages/reassign",
    "/api/v1/conversations/{id}/edits",
    "/api/v1/conversations/{id}/edits/{edit_id}/undo",
    "/api/v1/conversations/{id}/jobs",
    "/api/v1/jobs/{id}",
    "/api/v1/jobs/{id}/retry",
    "/api/v1/conversations/{id}/members/{member_id}/push",
    "/api/v1/job/{id}",
    "/api/v1/process/audio/url",
    "/api/v1/process/audio",
    "/api/v1/process/video/url",
    "/api/v1/process/video",
    "/api/v1/process/audio/url/{id}",
    "/api/v1/process/audio/{id}",
    "/api/v1/process/video/url/{id}",
    "/api/v1/process/video/{id}",
    "/api/v1/conversations/import",
    "/api/v1/conversations/{id}/import",
    "/api/v1/conversations/{id}/export",
    "/api/v1/accounts",
    "/api/v1/accounts/{id}",
}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
RTTM = (
    b"SPEAKER f 1 0.50 1.25 <NA> <NA> spk_a <NA> <NA>\n"
    b"SPEAKER f 1 2.0 1.0 <NA> <NA> spk_b <NA> <NA>\n"
)


def _schema():
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


def _operations():
    found = [result.ok() for result in _schema().get_all_operations()]
    return sorted(
        (op for op in found if set(op.tags or ()) & BEYOND_SYMBL_TAGS),
        key=lambda op: (op.path, op.method),
    )


def test_the_schema_documents_uploads_streams_and_conflicts(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    assert set(schema["paths"]) >= BEYOND_SYMBL_PATHS
    upload = schema["paths"]["/api/v1/process/audio"]["post"]["requestBody"]["content"]
    assert set(upload) == {"multipart/form-data", "application/octet-stream", "audio/*", "video/*"}
    assert upload["audio/*"]["schema"] == {"type": "string", "format": "binary"}
    form = schema["components"]["schemas"]["FileSubmitFormRequest"]
    assert form["properties"]["file"] == {
        "type": "string",
        "format": "binary",
        "description": "The recording (audio or video), up to 500 MB.",
    }
    export = schema["paths"]["/api/v1/conversations/{id}/export"]["get"]["responses"]["200"]
    assert set(export["content"]) == {
        "text/vtt",
        "application/x-subrip",
        "text/plain",
        "application/json",
    }
    assert export["headers"]["Content-Disposition"]["required"] is True
    undo = schema["paths"]["/api/v1/conversations/{id}/edits/{edit_id}/undo"]["post"]
    conflict = undo["responses"]["409"]["content"]["application/json"]["schema"]["$ref"]
    assert conflict.endswith("/UndoConflict")
    assert "requestBody" not in undo
    submit = schema["paths"]["/api/v1/process/audio/url"]["post"]
    assert submit["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/SubmitReply"
    )
    assert {p["name"] for p in submit["parameters"]} >= {
        "enableSpeakerDiarization",
        "diarizationSpeakerCount",
        "accountId",
    }


def test_the_schema_documents_account_writes_retries_and_pushes(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    components = schema["components"]["schemas"]
    secrets = {"appId", "appSecret", "apiKey", "webhookSecret"}
    create = schema["paths"]["/api/v1/accounts"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    fields = components[body.rsplit("/", 1)[1]]
    assert set(fields["required"]) == {"workspace", "vendor", "label"}
    assert all(fields["properties"][name]["writeOnly"] for name in secrets)
    assert create["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/Account"
    )
    assert not secrets & set(components["Account"]["properties"])
    assert components["AccountVendorEnum"]["enum"] == [
        "symbl",
        "elevenlabs",
        "phonexia",
        "deepaffects",
    ]
    detail = schema["paths"]["/api/v1/accounts/{id}"]
    assert set(detail) >= {"get", "patch", "delete"}
    assert "content" not in detail["delete"]["responses"]["204"]
    assert {"403", "404"} <= set(detail["patch"]["responses"])
    for path in ("/api/v1/jobs/{id}/retry", "/api/v1/conversations/{id}/members/{member_id}/push"):
        post = schema["paths"][path]["post"]
        assert "requestBody" not in post
        error = post["responses"]["409"]["content"]["application/json"]["schema"]["$ref"]
        assert error.endswith("/Error")
    retry = schema["paths"]["/api/v1/jobs/{id}/retry"]["post"]["responses"]["200"]
    assert retry["content"]["application/json"]["schema"]["$ref"].endswith("/Job")
    push = schema["paths"]["/api/v1/conversations/{id}/members/{member_id}/push"]["get"]
    reply = push["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert set(components[reply.rsplit("/", 1)[1]]["properties"]) == {
        "id",
        "name",
        "email",
        "mergedInto",
        "syncState",
        "syncError",
    }


@pytest.fixture
def world(ws, settings, tmp_path):
    """An editor's key and an admin's (for account writes); a conversation with members,
    messages, insights, edits and jobs; a Symbl conversation that can take appends, with a
    failed job and members whose push failed; a Symbl account (the editor's only one) and
    accounts to delete; and a conversation, job and account of another workspace. Throttling
    is lifted."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": "100000/minute"},
    }
    settings.MEDIA_ROOT = tmp_path / "media"
    editor = factories.user(ws, Role.EDITOR)
    admin = factories.user(ws, Role.ADMIN)
    account = ProviderAccount(workspace=ws, vendor="symbl", label="Symbl")
    account.set_secrets(app_id="a", app_secret="b")
    account.save()
    conv = factories.conversation(ws, members=4, messages=24, insights=6)
    members = list(conv.members.order_by("position"))
    edits = [speakers.member_rename(member=m, name=f"Person {i}") for i, m in enumerate(members)]
    edits.append(speakers.member_merge(source=members[3], target=members[0]))
    symbl = factories.conversation(ws, members=2, messages=4)
    symbl.vendor, symbl.external_id = "symbl", "5120334411530240"
    symbl.save()
    job = Job.objects.create(
        conversation=symbl, kind=JobKind.PROCESS, account=account, state=JobState.DONE
    )
    failed_job = Job.objects.create(
        conversation=symbl,
        kind=JobKind.APPEND,
        account=account,
        state=JobState.FAILED,
        error_type="http_503",
    )
    symbl.members.update(sync_state=SyncState.FAILED, sync_error="timeout")
    doomed = [
        ProviderAccount.objects.create(workspace=ws, vendor="phonexia", label=f"Old {n}")
        for n in range(3)
    ]
    other = factories.workspace("Elsewhere")
    theirs = factories.conversation(other, members=2, messages=3)
    their_job = Job.objects.create(conversation=theirs, kind=JobKind.IMPORT)
    their_account = ProviderAccount.objects.create(workspace=other, vendor="symbl", label="X")
    their_edit = speakers.member_rename(member=theirs.members.first(), name="Theirs")
    member_ids = [m.uuid for m in members]
    their_member = theirs.members.first().uuid
    missing = 10**9
    return {
        "headers": {"Authorization": bearer(editor)["HTTP_AUTHORIZATION"]},
        "admin_headers": {"Authorization": bearer(admin)["HTTP_AUTHORIZATION"]},
        # Path parameters per kind of path: mostly rows of the conversation the run edits,
        # some of another workspace and some that do not exist.
        "paths": {
            "conversation": [{"id": pk} for pk in (conv.pk, conv.pk, theirs.pk, missing)],
            "append": [{"id": pk} for pk in (symbl.pk, symbl.pk, conv.pk, theirs.pk, missing)],
            "job": [{"id": pk} for pk in (job.pk, failed_job.pk, their_job.pk, missing)],
            "account": [{"id": pk} for pk in (account.pk, their_account.pk, missing)],
            "doomed": [{"id": a.pk} for a in doomed] + [{"id": their_account.pk}, {"id": missing}],
            "push": [{"id": symbl.pk, "member_id": m.uuid} for m in symbl.members.all()]
            + [
                {"id": symbl.pk, "member_id": uuid.uuid4()},
                {"id": theirs.pk, "member_id": their_member},
                {"id": missing, "member_id": member_ids[0]},
            ],
            "member": [{"id": conv.pk, "member_id": m} for m in member_ids]
            + [
                {"id": conv.pk, "member_id": uuid.uuid4()},
                {"id": theirs.pk, "member_id": their_member},
                {"id": missing, "member_id": member_ids[0]},
            ],
            "edit": [{"id": conv.pk, "edit_id": e.pk} for e in edits]
            + [
                {"id": conv.pk, "edit_id": their_edit.pk},
                {"id": theirs.pk, "edit_id": their_edit.pk},
                {"id": conv.pk, "edit_id": missing},
            ],
        },
        "conversation_id": conv.pk,
        "message_ids": [
            str(pk) for pk in Message.objects.filter(conversation=conv).values_list("pk", flat=True)
        ],
        "account_id": str(account.pk),
        "workspace": ws.slug,
    }


def _kind(path: str, method: str = "GET") -> str | None:
    if "{id}" not in path:
        return None
    if path.endswith("/push"):
        return "push"
    if "{member_id}" in path:
        return "member"
    if "{edit_id}" in path:
        return "edit"
    if path.startswith(("/api/v1/jobs/", "/api/v1/job/")):
        return "job"
    if path.startswith("/api/v1/accounts/"):
        return "doomed" if method.upper() == "DELETE" else "account"
    if path.startswith("/api/v1/process/"):
        return "append"
    return "conversation"


def _strategies(operation, world: dict, **kwargs) -> list:
    kind = _kind(operation.path, operation.method)
    if kind is None:
        return [operation.as_strategy(**kwargs)]
    return [
        operation.as_strategy(path_parameters=params, **kwargs) for params in world["paths"][kind]
    ]


def _headers(case, world: dict) -> dict:
    """Account writes need a workspace admin; everything else runs as the editor."""
    admin = case.path.startswith("/api/v1/accounts") and case.method.upper() != "GET"
    return world["admin_headers" if admin else "headers"]


#: Secrets a realistic account body carries, per vendor.
ACCOUNT_SECRETS = {
    "symbl": {"appId": "app-id", "appSecret": "app-secret"},
    "elevenlabs": {"apiKey": "sk_key", "webhookSecret": "whsec_key"},
    "phonexia": {"apiKey": "phx-key"},
    "deepaffects": {"apiKey": "da-key"},
}
ACCOUNT_BASE_URLS = {"elevenlabs": "us", "phonexia": "https://phx.example.org:8600"}


def _realistic_account(body: dict, data) -> None:
    """An account body the services accept: a new label, the base URL and secrets of its
    vendor (``PATCH`` bodies: the world's Symbl account, whose vendor cannot change)."""
    vendor = body.get("vendor", "symbl")
    if "vendor" in body and "workspace" not in body:
        del body["vendor"]
        vendor = "symbl"
    for key in [*ACCOUNT_SECRETS["symbl"], *ACCOUNT_SECRETS["elevenlabs"]]:
        body.pop(key, None)
    body.update(ACCOUNT_SECRETS[vendor])
    body["baseUrl"] = ACCOUNT_BASE_URLS.get(vendor, "")
    if "label" in body:
        body["label"] = f"Account {data.draw(st.integers(min_value=0, max_value=10**6))}"


#: Query parameters a realistic case leaves out (the body carries them, or the default does).
NOISY_QUERY = {"options", "enableSpeakerDiarization", "accountId", "diarizationSpeakerCount"}


def _realistic(case, world: dict, data) -> None:
    """Two times in three, replace generated values by ones that name real rows (member and
    message ids, the account, the workspace), a reachable URL and a readable file, so that
    the run reaches the operations themselves and not only their validation."""
    if not data.draw(st.sampled_from([True, False, True])):
        return
    live = [
        str(pk)
        for pk in Member.objects.live()
        .filter(conversation_id=world["conversation_id"])
        .values_list("uuid", flat=True)
    ]
    pools = {
        "targetId": lambda: data.draw(st.sampled_from(live)),
        "memberId": lambda: data.draw(st.sampled_from(live)),
        "messageIds": lambda: data.draw(
            st.lists(st.sampled_from(world["message_ids"]), min_size=1, max_size=3)
        ),
        "url": lambda: "https://media.example.org/a.mp3",
        "accountId": lambda: world["account_id"],
        "options": lambda: {} if "url" in case.body else "{}",
        "enableSpeakerDiarization": lambda: True,
        "file": lambda: RTTM,
        "format": lambda: "auto",
        "workspace": lambda: world["workspace"],
    }
    if isinstance(case.body, dict) and case.path.startswith("/api/v1/accounts"):
        _realistic_account(case.body, data)
    if isinstance(case.body, dict):
        if case.path.endswith(("/url", "/url/{id}")):
            case.body["url"] = pools["url"]()
        for key in list(case.body):
            if key in pools:
                case.body[key] = pools[key]()
    if isinstance(case.query, dict):
        for key in NOISY_QUERY & set(case.query):
            del case.query[key]


def test_schemathesis_finds_no_server_error_beyond_symbl(world):
    statuses: dict[tuple[str, str], set[int]] = {}
    for operation in _operations():

        @settings(
            max_examples=20,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=st.one_of(_strategies(operation, world)), data=st.data())
        def run(case, data):
            _realistic(case, world, data)
            response = case.call(headers=_headers(case, world))
            case.validate_response(response, checks=CHECKS)
            statuses.setdefault((case.method, case.path), set()).add(response.status_code)

        run()
    assert {path for _, path in statuses} == BEYOND_SYMBL_PATHS
    # Every operation succeeded at least once, and objects of another workspace were 404.
    ok = {key: found for key, found in statuses.items() if found & {200, 201, 204}}
    assert ok.keys() == statuses.keys(), {k: v for k, v in statuses.items() if k not in ok}
    scoped = {k: v for k, v in statuses.items() if "{id}" in k[1]}
    assert all(404 in found for found in scoped.values()), scoped


def test_schemathesis_invalid_requests_beyond_symbl_get_documented_4xx(world):
    refused = []
    for operation in _operations():

        @settings(
            max_examples=10,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(
            case=st.one_of(_strategies(operation, world, generation_mode=GenerationMode.NEGATIVE))
        )
        def run(case):
            response = case.call(headers=_headers(case, world))
            case.validate_response(response, checks=CHECKS)
            refused.append(response.status_code)

        run()
    assert {400, 404} <= set(refused), sorted(set(refused))
    assert all(status < 500 for status in refused)
