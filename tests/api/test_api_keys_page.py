"""The API-keys page: a created key is shown once, only its prefix afterwards; keys are stored
hashed; revoking works; users see and revoke only their own keys."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.urls import reverse

from diarization_portal.api.models import ApiKey
from diarization_portal.api.services import api_key_create
from tests import factories

pytestmark = pytest.mark.django_db
PAGE = "/account/api-keys/"


def test_the_page_needs_a_login(client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_created_key_is_shown_once_then_only_its_prefix(client, people, ws):
    user = people["viewer"]
    client.force_login(user)
    response = client.post(PAGE, {"name": "CRM sync"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    (raw,) = re.findall(r'value="(dpk_[A-Za-z0-9_-]{43})"', html)
    key = ApiKey.objects.get(user=user)
    assert key.name == "CRM sync"
    assert key.hashed_key == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {key.prefix, key.hashed_key}
    later = client.get(PAGE).content.decode()
    assert raw not in later
    assert f"{key.prefix}…" in later
    # The key works against the API.
    conv = factories.conversation(ws, members=1, messages=1)
    api = client.__class__()
    assert (
        api.get(
            reverse("api:member_list", args=[conv.pk]), HTTP_AUTHORIZATION=f"Bearer {raw}"
        ).status_code
        == 200
    )


def test_a_key_needs_a_name(client, people):
    client.force_login(people["viewer"])
    response = client.post(PAGE, {"name": "  "})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not ApiKey.objects.exists()


def test_revoking_a_key_stops_it(client, people, ws):
    user = people["editor"]
    key, raw = api_key_create(user=user, name="old script")
    client.force_login(user)
    response = client.post(reverse("api:api_key_revoke", args=[key.pk]), follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Revoked the key “old script”" in html
    assert "Revoked 20" in html  # the status column shows the date
    key.refresh_from_db()
    assert key.revoked_at is not None
    conv = factories.conversation(ws, members=1, messages=1)
    api = client.__class__()
    refused = api.get(
        reverse("api:member_list", args=[conv.pk]), HTTP_AUTHORIZATION=f"Bearer {raw}"
    )
    assert refused.status_code == 401


def test_users_see_and_revoke_only_their_own_keys(client, people):
    mine, _ = api_key_create(user=people["viewer"], name="mine")
    theirs, _ = api_key_create(user=people["admin"], name="the admin's")
    client.force_login(people["viewer"])
    html = client.get(PAGE).content.decode()
    assert "mine" in html and theirs.prefix not in html and "the admin" not in html
    response = client.post(reverse("api:api_key_revoke", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert mine.revoked_at is None


def test_the_dashboard_links_to_the_page(client, people, ws):
    client.force_login(people["viewer"])
    html = client.get(reverse("dashboard:conversation_list", args=[ws.slug])).content.decode()
    assert f'href="{PAGE}"' in html
