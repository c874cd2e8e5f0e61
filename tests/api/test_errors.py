"""One error shape for every error, and limit/offset pagination bounds."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework import exceptions

from diarization_portal.api.exceptions import api_exception_handler, field_errors
from diarization_portal.conversations.services.speakers import (
    SpeakerOperationError,
    UndoConflict,
)
from tests import factories
from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db


@pytest.fixture
def auth(people):
    return bearer(people["editor"])


def assert_error(response, status: int, type_: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"type", "message", "errors"}
    assert body["type"] == type_
    assert isinstance(body["message"], str) and body["message"]
    return body


def test_unknown_paths_under_api_are_json_404s_for_every_verb(client, auth):
    for verb in ("get", "post", "put", "delete"):
        response = getattr(client, verb)("/api/v1/conversations/abc/members", **auth)
        body = assert_error(response, 404, "not_found")
        assert body["errors"] == []


def test_a_verb_the_endpoint_lacks_is_405_with_allow(client, ws, auth):
    conv = factories.conversation(ws, members=1, messages=1)
    response = client.post(reverse("api:message_list", args=[conv.pk]), {}, **auth)
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"limit": "abc"}, "Invalid query.limit: must be an integer, got 'abc'"),
        ({"limit": "0"}, "Invalid query.limit: must be between 1 and 100, got 0"),
        ({"limit": "101"}, "Invalid query.limit: must be between 1 and 100, got 101"),
        ({"offset": "-1"}, "Invalid query.offset: must be at least 0, got -1"),
        ({"offset": "1.5"}, "Invalid query.offset: must be an integer, got '1.5'"),
    ],
)
def test_bad_limit_or_offset_is_400_naming_the_parameter(client, auth, query, message):
    response = client.get("/api/v1/conversations", query, **auth)
    body = assert_error(response, 400, "validation_error")
    assert body["message"] == message
    (name,) = query
    assert body["errors"] == [{"loc": ["query", name], "msg": message.split(": ", 1)[1]}]


def test_limits_have_per_endpoint_bounds(client, ws, auth):
    conv = factories.conversation(ws, members=2, messages=3)
    url = reverse("api:message_list", args=[conv.pk])
    assert client.get(url, {"limit": 5000}, **auth).status_code == 200
    assert_error(client.get(url, {"limit": 5001}, **auth), 400, "validation_error")
    assert client.get("/api/v1/conversations", {"limit": 100}, **auth).status_code == 200


def test_nested_validation_errors_name_the_item():
    detail = {
        "name": ["This field is required."],
        "speakers": [{}, {"email": ["Enter a valid email address."]}],
        "non_field_errors": ["Something about the whole body."],
    }
    assert field_errors(detail, ["body"]) == [
        {"loc": ["body", "name"], "msg": "This field is required."},
        {"loc": ["body", "speakers", 1, "email"], "msg": "Enter a valid email address."},
        {"loc": ["body"], "msg": "Something about the whole body."},
    ]


def test_speaker_operation_errors_become_400_and_undo_conflicts_409():
    refused = api_exception_handler(SpeakerOperationError("a speaker needs a name"), {})
    assert refused.status_code == 400
    assert refused.data == {
        "type": "invalid_operation",
        "message": "a speaker needs a name",
        "errors": [],
    }
    conflict = api_exception_handler(UndoConflict("undo “Renamed A to B” first", []), {})
    assert conflict.status_code == 409
    assert conflict.data["type"] == "conflict"


def test_unexpected_exceptions_are_a_500_in_the_error_shape(caplog):
    response = api_exception_handler(RuntimeError("boom"), {"view": None})
    assert response.status_code == 500
    assert response.content == (
        b'{"type": "server_error", "message": "The server failed to answer this request.", '
        b'"errors": []}'
    )
    assert "boom" in caplog.text


def test_drf_errors_keep_their_headers():
    response = api_exception_handler(exceptions.Throttled(wait=7), {})
    assert response.status_code == 429
    assert response["Retry-After"] == "7"
    assert response.data["type"] == "throttled"
