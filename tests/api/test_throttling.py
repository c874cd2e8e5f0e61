"""Throttling per API key (per user for session calls): 429 with Retry-After."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories
from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def three_a_minute(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": "3/minute"},
    }


def test_over_the_rate_a_key_gets_429_with_retry_after(client, ws, people):
    conv = factories.conversation(ws, members=1, messages=1)
    auth = bearer(people["viewer"])
    url = reverse("api:member_list", args=[conv.pk])
    assert [client.get(url, **auth).status_code for _ in range(3)] == [200, 200, 200]
    response = client.get(url, **auth)
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    body = response.json()
    assert body["type"] == "throttled"
    assert body["errors"] == []
    assert "seconds" in body["message"]


def test_each_key_and_each_session_user_has_its_own_count(client, ws, people):
    conv = factories.conversation(ws, members=1, messages=1)
    url = reverse("api:member_list", args=[conv.pk])
    first, second = bearer(people["viewer"], "one"), bearer(people["viewer"], "two")
    for _ in range(3):
        client.get(url, **first)
    assert client.get(url, **first).status_code == 429
    assert client.get(url, **second).status_code == 200
    client.force_login(people["editor"])
    assert [client.get(url).status_code for _ in range(4)] == [200, 200, 200, 429]
    client.force_login(people["admin"])
    assert client.get(url).status_code == 200


def test_unknown_keys_count_against_the_address_then_429_before_any_key_is_checked(
    client, ws, people, settings
):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": "100/minute", "api_auth_failure": "3/minute"},
    }
    url = reverse("api:conversation_list")
    bad = {"HTTP_AUTHORIZATION": "Bearer dpk_not-a-key", "REMOTE_ADDR": "198.51.100.7"}
    statuses = [client.get(url, **bad).status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 429, 429]
    good = {**bearer(people["viewer"]), "REMOTE_ADDR": "198.51.100.7"}
    refused = client.get(url, **good)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert refused.json()["type"] == "throttled"
    # Another address is not affected; X-API-KEY failures count too.
    assert client.get(url, **{**good, "REMOTE_ADDR": "203.0.113.9"}).status_code == 200
    other = {"HTTP_X_API_KEY": "dpk_wrong", "REMOTE_ADDR": "203.0.113.9"}
    assert [client.get(url, **other).status_code for _ in range(4)] == [401, 401, 401, 429]
