"""Provider accounts over the API: listed for members of their workspace with which secrets are
set, never the secrets themselves; 404 across workspaces; the list's query count."""

from __future__ import annotations

import pytest
from django.urls import reverse

from diarization_portal.sync.models import ProviderAccount
from tests import factories
from tests.api.conftest import bearer, count_queries

pytestmark = pytest.mark.django_db

SECRET_VALUES = ("app-id-Q1w2", "app-secret-Zx9Vb7", "sk_live_5566", "whsec_9911")


def account(ws, vendor="symbl", label="Symbl main", **secrets) -> ProviderAccount:
    acc = ProviderAccount(workspace=ws, vendor=vendor, label=label)
    acc.set_secrets(**secrets)
    acc.save()
    return acc


def test_accounts_show_which_secrets_are_set_but_never_their_values(client, ws, people):
    symbl = account(ws, app_id=SECRET_VALUES[0], app_secret=SECRET_VALUES[1])
    eleven = account(ws, "elevenlabs", "Voices", api_key=SECRET_VALUES[2])
    eleven.webhook_secret = SECRET_VALUES[3]
    eleven.save()
    half = account(ws, "deepaffects", "Half")
    response = client.get(reverse("api:account_list"), **bearer(people["viewer"]))
    assert response.status_code == 200
    text = response.content.decode()
    assert not any(secret in text for secret in SECRET_VALUES)
    body = response.json()
    assert [a["label"] for a in body["accounts"]] == ["Half", "Symbl main", "Voices"]
    got = {a["id"]: a for a in body["accounts"]}
    assert got[str(symbl.pk)] == {
        "id": str(symbl.pk),
        "workspace": ws.slug,
        "vendor": "symbl",
        "label": "Symbl main",
        "baseUrl": "",
        "secretsSet": ["appId", "appSecret"],
        "missingSecrets": [],
        "webhookSecretSet": False,
        "createdAt": got[str(symbl.pk)]["createdAt"],
        "updatedAt": got[str(symbl.pk)]["updatedAt"],
    }
    assert got[str(eleven.pk)]["webhookSecretSet"] is True
    assert got[str(half.pk)]["missingSecrets"] == ["apiKey"]
    detail = client.get(reverse("api:account_detail", args=[eleven.pk]), **bearer(people["viewer"]))
    assert detail.json() == got[str(eleven.pk)]
    assert SECRET_VALUES[2] not in detail.content.decode()


def test_the_list_spans_the_callers_workspaces_and_filters(client, ws, people):
    account(ws, app_id="a", app_secret="b")
    account(ws, "elevenlabs", "Voices", api_key="k")
    theirs = factories.workspace("Theirs")
    account(theirs, label="Not mine", app_id="a", app_secret="b")
    auth = bearer(people["editor"])
    url = reverse("api:account_list")
    assert client.get(url, **auth).json()["total"] == 2
    only = client.get(url, {"vendor": "elevenlabs"}, **auth).json()["accounts"]
    assert [a["label"] for a in only] == ["Voices"]
    assert client.get(url, {"workspace": ws.slug}, **auth).json()["total"] == 2
    foreign = client.get(url, {"workspace": theirs.slug}, **auth)
    assert foreign.status_code == 404
    bad = client.get(url, {"vendor": "file"}, **auth)
    assert bad.status_code == 400 and bad.json()["errors"][0]["loc"] == ["query", "vendor"]


def test_an_account_of_another_workspace_is_404(client, ws, people):
    mine = account(ws, app_id="a", app_secret="b")
    for account_id in (mine.pk, 10**9, 2**63):
        response = client.get(
            reverse("api:account_detail", args=[account_id]), **bearer(people["outsider"])
        )
        assert response.status_code == 404
        assert response.json()["message"] == "No such account"


def test_accounts_query_count_does_not_grow_with_accounts(client, ws, people):
    auth = bearer(people["viewer"])
    account(ws, app_id="a", app_secret="b")
    url = reverse("api:account_list")
    client.get(url, **auth)
    few = count_queries(client, url, **auth)
    for n in range(25):
        account(ws, "elevenlabs", f"Voices {n}", api_key="k")
    many = count_queries(client, url, **auth)
    assert len(many) == len(few), many.sql()
