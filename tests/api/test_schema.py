"""The OpenAPI schema and its docs page, and a schemathesis run of every operation against the
in-process WSGI app: no 5xx, and every reply (status, content type, headers, body) conforms to
the schema."""

from __future__ import annotations

import uuid

import pytest
import schemathesis
from django.contrib.staticfiles import finders
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

from diarization_portal.conversations.models import Insight, InsightType
from diarization_portal.workspaces.models import Role
from tests import factories
from tests.api.conftest import bearer
from tests.api.test_schema_beyond import BEYOND_SYMBL_PATHS, BEYOND_SYMBL_TAGS

pytestmark = pytest.mark.django_db

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def test_the_schema_lists_every_endpoint_with_bearer_auth(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {
        "/api/v1/conversations",
        "/api/v1/conversations/{id}",
        "/api/v1/conversations/{id}/members",
        "/api/v1/conversations/{id}/members/{member_id}",
        "/api/v1/conversations/{id}/messages",
        "/api/v1/conversations/{id}/insights",
        "/api/v1/conversations/{id}/action-items",
        "/api/v1/conversations/{id}/questions",
        "/api/v1/conversations/{id}/follow-ups",
        *BEYOND_SYMBL_PATHS,
    }
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key from /account/api-keys/: `Authorization: Bearer <key>`.",
    }
    put = schema["paths"]["/api/v1/conversations/{id}/members/{member_id}"]["put"]
    assert set(put["responses"]) == {"200", "400", "401", "403", "404", "409", "415", "429"}
    reply = put["responses"]["200"]["content"]["application/json"]["schema"]
    assert reply == {"$ref": "#/components/schemas/MessageReply"}
    error = put["responses"]["404"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/Error"}
    items = schema["paths"]["/api/v1/conversations/{id}/action-items"]["get"]["responses"]["200"]
    page = items["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert "actionItems" in schema["components"]["schemas"][page]["properties"]


def test_the_docs_page_uses_assets_served_by_the_portal(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "//cdn" not in html and "unpkg" not in html
    # No inline script or style (Content-Security-Policy): the start-up script is a file.
    assert "<script>" not in html and "<style" not in html and "style=" not in html
    assert '<script src="/api/docs/?script="></script>' in html
    script = client.get("/api/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()
    for asset in ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"):
        assert finders.find(f"drf_spectacular_sidecar/swagger-ui-dist/{asset}"), asset


@pytest.fixture
def fuzz_world(ws, settings):
    """A conversation with members, messages and every insight type that the editor can reach,
    one in another workspace, and the editor's key. Throttling is lifted for the run."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": "100000/minute"},
    }
    editor = factories.user(ws, Role.EDITOR)
    mine = factories.conversation(ws, members=3, messages=12, insights=6)
    Insight.objects.filter(conversation=mine, type=InsightType.ACTION_ITEM).update(
        score=0.9, definitive=True, phrases=[{"type": "action_phrase", "text": "ship"}]
    )
    member = mine.members.first()
    member.email = "ana@example.com"
    member.save()
    theirs = factories.conversation(factories.workspace("Elsewhere"), members=2, messages=3)
    return {
        "headers": {"Authorization": bearer(editor)["HTTP_AUTHORIZATION"]},
        "conversation_ids": [mine.pk, theirs.pk, 10**9],
        "member_ids": [m.uuid for m in mine.members.all()] + [uuid.uuid4()],
    }


def _same_member_id(case):
    """Symbl's member PUT repeats the member id of the path in the body; keep them equal so
    that the run reaches the rename (a mismatch is a 400, tested in test_members)."""
    if isinstance(case.body, dict) and "member_id" in case.path_parameters:
        case.body["id"] = str(case.path_parameters["member_id"])
    return case


def _operations(schema):
    """The Symbl-shaped operations (the others run in ``test_schema_beyond``)."""
    found = [result.ok() for result in schema.get_all_operations()]
    found = [op for op in found if not set(op.tags or ()) & BEYOND_SYMBL_TAGS]
    # Deletes last, so the other operations still find the conversation.
    return sorted(found, key=lambda op: (op.method.upper() == "DELETE", op.path, op.method))


def _schema():
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


def test_schemathesis_finds_no_server_error_and_no_reply_outside_the_schema(fuzz_world):
    schema = _schema()
    exercised = []
    for operation in _operations(schema):
        strategies = []
        for conversation_id in fuzz_world["conversation_ids"]:
            fixed = {"id": conversation_id}
            if "{member_id}" in operation.path:
                for member_id in fuzz_world["member_ids"]:
                    strategies.append(
                        operation.as_strategy(
                            path_parameters={**fixed, "member_id": member_id}
                        ).map(_same_member_id)
                    )
            else:
                strategies.append(operation.as_strategy(path_parameters=fixed))
        if "{id}" not in operation.path:
            strategies = [operation.as_strategy()]

        @settings(
            max_examples=30,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=st.one_of(strategies))
        def run(case):
            response = case.call(headers=fuzz_world["headers"])
            case.validate_response(response, checks=CHECKS)
            exercised.append((case.method, case.path, response.status_code))

        run()
    statuses = {(method, path): set() for method, path, _ in exercised}
    for method, path, status in exercised:
        statuses[(method, path)].add(status)
    # Every operation answered 200 at least once, and the foreign conversation 404.
    assert all(200 in found for found in statuses.values()), statuses
    assert all(404 in found for (m, p), found in statuses.items() if "{id}" in p), statuses


def test_schemathesis_invalid_requests_get_documented_4xx_replies(fuzz_world):
    """Negative mode: values outside the schema (bad limits, dates, bodies, ids) get documented
    replies in the error shape, never a 5xx. Some negative cases only break the Authorization
    header, which the run replaces with a valid key, or add unknown query parameters, which are
    ignored: those answer 200."""
    schema = _schema()
    refused = []
    for operation in _operations(schema):
        if operation.method.upper() == "DELETE":
            continue

        @settings(
            max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        @given(case=operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
        def run(case):
            response = case.call(headers=fuzz_world["headers"])
            case.validate_response(response, checks=CHECKS)
            refused.append(response.status_code)

        run()
    assert 400 in refused and 404 in refused, sorted(set(refused))
    assert all(status < 500 for status in refused)


def test_401_and_429_replies_conform_to_the_schema(fuzz_world, settings):
    operation = _schema()["/api/v1/conversations"]["GET"]
    anonymous = operation.Case()
    response = anonymous.call()
    assert response.status_code == 401
    anonymous.validate_response(response, checks=CHECKS)
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": "1/minute"},
    }
    case = operation.Case()
    assert case.call(headers=fuzz_world["headers"]).status_code == 200
    throttled = case.call(headers=fuzz_world["headers"])
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"][0]) > 0
    case.validate_response(throttled, checks=CHECKS)
