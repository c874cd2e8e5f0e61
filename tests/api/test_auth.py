"""API authentication: Bearer keys (unknown, revoked, inactive user), Symbl's x-api-key header,
and session calls that need the CSRF token for unsafe methods."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from diarization_portal.api.models import ApiKey
from diarization_portal.api.services import api_key_create, api_key_revoke
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def conv(ws):
    return factories.conversation(ws, members=2, messages=4)


def test_a_valid_key_authenticates_and_records_its_use(client, people, conv):
    key, raw = api_key_create(user=people["viewer"], name="crm")
    assert key.last_used_at is None
    response = client.get(
        reverse("api:conversation_detail", args=[conv.pk]), HTTP_AUTHORIZATION=f"Bearer {raw}"
    )
    assert response.status_code == 200
    assert response.json()["id"] == str(conv.pk)
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_symbl_x_api_key_header_works_too(client, people, conv):
    _key, raw = api_key_create(user=people["viewer"], name="sdk")
    response = client.get(reverse("api:member_list", args=[conv.pk]), HTTP_X_API_KEY=raw)
    assert response.status_code == 200
    assert len(response.json()["members"]) == 2


@pytest.mark.parametrize(
    "header",
    ["Bearer dpk_unknown", "Bearer", "Bearer a b", "bearer dpk_unknown"],
)
def test_unknown_or_malformed_keys_are_401_with_www_authenticate(client, people, header):
    response = client.get(reverse("api:conversation_list"), HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json()["type"] == "authentication_failed"


def test_a_revoked_key_is_401(client, people, conv):
    key, raw = api_key_create(user=people["admin"], name="old")
    url = reverse("api:conversation_detail", args=[conv.pk])
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    api_key_revoke(key=key)
    response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json() == {
        "type": "authentication_failed",
        "message": "Invalid or revoked API key",
        "errors": [],
    }


def test_the_key_of_a_deactivated_user_is_401(client, people, conv):
    _key, raw = api_key_create(user=people["admin"], name="k")
    people["admin"].is_active = False
    people["admin"].save()
    url = reverse("api:conversation_detail", args=[conv.pk])
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_no_credentials_is_401_not_403(client, conv):
    response = client.get(reverse("api:conversation_detail", args=[conv.pk]))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json()["type"] == "not_authenticated"


def test_keys_are_stored_hashed(people):
    key, raw = api_key_create(user=people["viewer"], name="k")
    row = ApiKey.objects.get(pk=key.pk)
    assert raw.startswith("dpk_") and len(raw) > 40
    assert row.prefix == raw[:12]
    assert raw not in (row.hashed_key, row.prefix, row.name)
    assert len(row.hashed_key) == 64


def test_session_calls_need_the_csrf_token_for_unsafe_methods(people, conv):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(people["editor"])
    member = conv.members.first()
    url = reverse("api:member_detail", args=[conv.pk, member.uuid])
    body = {"id": str(member.uuid), "name": "Ana"}
    # Reads need no token.
    assert csrf_client.get(reverse("api:member_list", args=[conv.pk])).status_code == 200
    refused = csrf_client.put(url, body, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["type"] == "permission_denied"
    assert "CSRF" in refused.json()["message"]
    member.refresh_from_db()
    assert member.name == "Speaker 1"
    # With the token from the cookie, the same call goes through.
    csrf_client.get(reverse("api:api_keys"))  # the page sets the csrftoken cookie
    token = csrf_client.cookies["csrftoken"].value
    accepted = csrf_client.put(url, body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 200
    member.refresh_from_db()
    assert member.name == "Ana"


def test_bearer_calls_need_no_csrf_token(people, conv):
    csrf_client = Client(enforce_csrf_checks=True)
    _key, raw = api_key_create(user=people["editor"], name="k")
    member = conv.members.first()
    response = csrf_client.put(
        reverse("api:member_detail", args=[conv.pk, member.uuid]),
        {"id": str(member.uuid), "name": "Ana"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code == 200
