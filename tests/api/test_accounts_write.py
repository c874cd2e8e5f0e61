"""Provider accounts managed over the API by workspace admins: add, change (a blank or missing
secret keeps the stored one; the vendor cannot change), delete (jobs stay). Errors name the
field; no reply of any accounts endpoint and no log line carries a secret value; other members
get 403, non-members 404, and a refused call changes nothing."""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse

from diarization_portal.conversations.models import Job, JobKind, JobState
from diarization_portal.sync.models import ProviderAccount
from tests import factories
from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db

SECRETS = {
    "appId": "app-id-Q7mZ2k",
    "appSecret": "app-secret-Vb81Lx0q",
    "apiKey": "sk_live_77aa99ccbbdd",
    "webhookSecret": "whsec_4Rt9PqL2",
}
NEW = {
    "appId": "app-id-rotated-31",
    "appSecret": "app-secret-rotated-77",
    "apiKey": "sk_live_rotated_0042",
    "webhookSecret": "whsec_rotated_5150",
}
LIST = reverse("api:account_list")


def detail(account) -> str:
    return reverse("api:account_detail", args=[account.pk if hasattr(account, "pk") else account])


def post(client, body: dict, headers: dict):
    return client.post(LIST, body, content_type="application/json", **headers)


def patch(client, account, body: dict, headers: dict):
    return client.patch(detail(account), body, content_type="application/json", **headers)


def stored(ws, vendor: str, label: str, base_url: str = "") -> ProviderAccount:
    account = ProviderAccount(workspace=ws, vendor=vendor, label=label, base_url=base_url)
    if vendor == "symbl":
        account.set_secrets(app_id=SECRETS["appId"], app_secret=SECRETS["appSecret"])
    else:
        account.set_secrets(api_key=SECRETS["apiKey"])
    if vendor == "elevenlabs":
        account.webhook_secret = SECRETS["webhookSecret"]
    account.save()
    return account


def snapshot() -> list[tuple]:
    return sorted(
        ProviderAccount.objects.values_list(
            "pk", "workspace_id", "vendor", "label", "base_url", "secrets", "webhook_secret"
        )
    )


def assert_no_secret(response) -> None:
    text = response.content.decode()
    for value in [*SECRETS.values(), *NEW.values()]:
        assert value not in text, f"a secret value is in the reply to {response.request}"


@pytest.fixture
def admin(people):
    return bearer(people["admin"])


# --- create ---------------------------------------------------------------------------------


def test_an_admin_adds_a_symbl_account_and_only_sees_which_secrets_are_set(client, ws, admin):
    body = {
        "workspace": ws.slug,
        "vendor": "symbl",
        "label": "  Sales team ",
        "appId": SECRETS["appId"],
        "appSecret": SECRETS["appSecret"],
    }
    response = post(client, body, admin)
    assert response.status_code == 201, response.content
    assert_no_secret(response)
    account = ProviderAccount.objects.get(workspace=ws)
    reply = response.json()
    assert reply == {
        "id": str(account.pk),
        "workspace": ws.slug,
        "vendor": "symbl",
        "label": "Sales team",
        "baseUrl": "",
        "secretsSet": ["appId", "appSecret"],
        "missingSecrets": [],
        "webhookSecretSet": False,
        "createdAt": reply["createdAt"],
        "updatedAt": reply["updatedAt"],
    }
    assert (account.secret("app_id"), account.secret("app_secret")) == (
        SECRETS["appId"],
        SECRETS["appSecret"],
    )
    assert client.get(detail(account), **admin).json() == reply


def test_an_elevenlabs_account_takes_a_region_and_the_webhook_secret(client, ws, admin):
    response = post(
        client,
        {
            "workspace": ws.slug,
            "vendor": "elevenlabs",
            "label": "Voices",
            "baseUrl": "eu-residency",
            "apiKey": SECRETS["apiKey"],
            "webhookSecret": SECRETS["webhookSecret"],
        },
        admin,
    )
    assert response.status_code == 201, response.content
    assert response.json()["webhookSecretSet"] is True
    assert response.json()["baseUrl"] == "eu-residency"
    account = ProviderAccount.objects.get(label="Voices")
    assert account.webhook_secret == SECRETS["webhookSecret"]
    assert account.resolved_base_url == "https://api.eu.residency.elevenlabs.io"


def test_a_phonexia_account_may_leave_out_its_key(client, ws, admin):
    body = {"workspace": ws.slug, "vendor": "phonexia", "label": "Lab"}
    response = post(client, {**body, "baseUrl": "https://phx.example.org:8600"}, admin)
    assert response.status_code == 201, response.content
    assert response.json()["secretsSet"] == [] and response.json()["missingSecrets"] == []


@pytest.mark.parametrize(
    ("body", "loc", "message"),
    [
        ({"vendor": "elevenlabs", "baseUrl": "mars", "apiKey": "k"}, "baseUrl", "Choose a region"),
        ({"vendor": "phonexia"}, "baseUrl", "Phonexia needs the server URL."),
        ({"vendor": "phonexia", "baseUrl": "ftp://x"}, "baseUrl", "Enter an http(s) URL."),
        (
            {"vendor": "symbl", "baseUrl": "not a url", "appId": "a", "appSecret": "b"},
            "baseUrl",
            "",
        ),
        ({"vendor": "symbl", "appId": SECRETS["appId"]}, "appSecret", "Required for this vendor."),
        ({"vendor": "deepaffects", "apiKey": "  "}, "apiKey", "Required for this vendor."),
        (
            {"vendor": "symbl", "appId": "a", "appSecret": "b", "apiKey": SECRETS["apiKey"]},
            "apiKey",
            "This vendor does not use this secret.",
        ),
        (
            {"vendor": "deepaffects", "apiKey": "k", "webhookSecret": SECRETS["webhookSecret"]},
            "webhookSecret",
            "This vendor does not use this secret.",
        ),
        ({"vendor": "file", "apiKey": "k"}, "vendor", "is not a valid choice"),
        ({"vendor": "deepaffects", "apiKey": "k", "label": ""}, "label", "may not be blank"),
        ({"vendor": "deepaffects", "apiKey": "k", "label": "x" * 121}, "label", "120"),
        ({"vendor": "deepaffects", "apiKey": "k", "label": "MAIN"}, "label", "has this label"),
    ],
)
def test_a_refused_account_names_the_field_and_saves_nothing(client, ws, admin, body, loc, message):
    stored(ws, "symbl", "Main")
    before = snapshot()
    response = post(client, {"workspace": ws.slug, "label": "New", **body}, admin)
    assert response.status_code == 400, response.content
    error = response.json()
    assert error["type"] == "validation_error"
    assert error["errors"][0]["loc"] == ["body", loc], error
    assert message in error["errors"][0]["msg"]
    assert_no_secret(response)
    assert snapshot() == before


def test_a_label_may_repeat_across_workspaces(client, ws, admin):
    stored(factories.workspace("Other"), "symbl", "Shared label")
    body = {"workspace": ws.slug, "vendor": "deepaffects", "label": "Shared label", "apiKey": "k"}
    assert post(client, body, admin).status_code == 201


# --- change ---------------------------------------------------------------------------------


def test_blank_null_or_missing_secrets_keep_the_stored_ones(client, ws, admin):
    account = stored(ws, "elevenlabs", "Voices", base_url="eu-residency")
    response = patch(
        client,
        account,
        {"label": "Voices EU", "baseUrl": "eu-residency", "apiKey": "", "webhookSecret": None},
        admin,
    )
    assert response.status_code == 200, response.content
    assert response.json()["label"] == "Voices EU"
    account.refresh_from_db()
    assert (account.label, account.base_url) == ("Voices EU", "eu-residency")
    assert account.secret("api_key") == SECRETS["apiKey"]
    assert account.webhook_secret == SECRETS["webhookSecret"]
    # Only what is given changes; a typed secret replaces the stored one.
    response = patch(client, account, {"webhookSecret": NEW["webhookSecret"]}, admin)
    assert response.status_code == 200
    assert_no_secret(response)
    account.refresh_from_db()
    assert (account.label, account.base_url) == ("Voices EU", "eu-residency")
    assert account.webhook_secret == NEW["webhookSecret"]
    assert account.secret("api_key") == SECRETS["apiKey"]
    assert patch(client, account, {}, admin).status_code == 200


@pytest.mark.parametrize(
    ("body", "loc", "message"),
    [
        ({"vendor": "symbl"}, "vendor", "cannot change"),
        ({"workspace": "other"}, "workspace", "cannot move"),
        ({"label": "main"}, "label", "has this label"),
        ({"label": " "}, "label", "may not be blank"),
        ({"baseUrl": "mars", "apiKey": NEW["apiKey"]}, "baseUrl", "Choose a region"),
        ({"appSecret": NEW["appSecret"]}, "appSecret", "does not use this secret"),
    ],
)
def test_a_refused_change_names_the_field_and_changes_nothing(
    client, ws, admin, body, loc, message
):
    stored(ws, "symbl", "Main")
    account = stored(ws, "elevenlabs", "Voices", base_url="us")
    before = snapshot()
    response = patch(client, account, body, admin)
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["loc"] == ["body", loc]
    assert message in response.json()["errors"][0]["msg"]
    assert_no_secret(response)
    assert snapshot() == before


def test_the_vendor_and_workspace_may_be_repeated_unchanged(client, ws, admin):
    account = stored(ws, "deepaffects", "Moods")
    body = {"vendor": "deepaffects", "workspace": ws.slug, "label": "Moods 2"}
    assert patch(client, account, body, admin).status_code == 200
    account.refresh_from_db()
    assert (account.vendor, account.label) == ("deepaffects", "Moods 2")


# --- delete ---------------------------------------------------------------------------------


def test_deleting_an_account_keeps_its_jobs_and_conversations(client, ws, admin):
    account = stored(ws, "symbl", "Old")
    conv = factories.conversation(ws, messages=2)
    job = Job.objects.create(
        conversation=conv, kind=JobKind.PROCESS, account=account, state=JobState.PROCESSING
    )
    response = client.delete(detail(account), **admin)
    assert response.status_code == 204 and response.content == b""
    assert not ProviderAccount.objects.filter(pk=account.pk).exists()
    job.refresh_from_db()
    assert job.account_id is None and job.conversation_id == conv.pk
    assert client.get(reverse("api:job_detail", args=[job.pk]), **admin).json()["accountId"] is None
    assert client.delete(detail(account), **admin).status_code == 404


# --- who may ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["editor", "commenter", "viewer"])
def test_other_members_read_accounts_but_cannot_manage_them(client, ws, people, role):
    account = stored(ws, "symbl", "Main")
    headers = bearer(people[role])
    before = snapshot()
    assert client.get(detail(account), **headers).status_code == 200
    body = {"workspace": ws.slug, "vendor": "deepaffects", "label": "Mine", "apiKey": "k"}
    for response in (
        post(client, body, headers),
        patch(client, account, {"label": "Mine"}, headers),
        client.delete(detail(account), **headers),
    ):
        assert response.status_code == 403, response.content
        assert response.json()["type"] == "permission_denied"
        assert response.json()["message"] == "Only workspace admins can do this"
    assert snapshot() == before


def test_an_admin_of_another_workspace_gets_404(client, ws, people):
    account = stored(ws, "symbl", "Main")
    headers = bearer(people["outsider"])
    before = snapshot()
    body = {"workspace": ws.slug, "vendor": "deepaffects", "label": "Mine", "apiKey": "k"}
    created = post(client, body, headers)
    assert created.status_code == 404 and created.json()["message"] == "No such workspace"
    for response in (
        patch(client, account, {"label": "Mine"}, headers),
        client.delete(detail(account), **headers),
    ):
        assert response.status_code == 404
        assert response.json()["message"] == "No such account"
    missing = patch(client, 10**9, {"label": "Mine"}, headers)
    assert missing.json() == client.delete(detail(account), **headers).json()
    assert snapshot() == before


# --- secrets stay secret ----------------------------------------------------------------------


def test_no_reply_of_any_accounts_endpoint_and_no_log_carries_a_secret(
    client, ws, people, admin, caplog
):
    caplog.set_level(logging.DEBUG)
    mine = [
        stored(ws, "symbl", "S"),
        stored(ws, "elevenlabs", "E"),
        stored(ws, "phonexia", "P", base_url="https://phx.example.org:8600"),
        stored(ws, "deepaffects", "D"),
    ]
    replies = [client.get(LIST, **bearer(people["viewer"])), client.get(LIST, **admin)]
    everything = {**NEW, "baseUrl": "not a url"}
    for account in mine:
        replies.append(client.get(detail(account), **admin))
        replies.append(patch(client, account, everything, admin))  # refused, secrets echoed?
        replies.append(patch(client, account, {"label": "", **NEW}, admin))
        replies.append(patch(client, account, {"vendor": "file", **NEW}, admin))
        replies.append(patch(client, account, {"apiKey": NEW["apiKey"] * 40}, admin))
        replies.append(patch(client, account, {"label": f"{account.label} 2"}, admin))
    vendors = {
        "symbl": {"appId": NEW["appId"], "appSecret": NEW["appSecret"]},
        "elevenlabs": {"apiKey": NEW["apiKey"], "webhookSecret": NEW["webhookSecret"]},
        "deepaffects": {"apiKey": NEW["apiKey"]},
    }
    for vendor, secrets in vendors.items():
        body = {"workspace": ws.slug, "vendor": vendor, "label": f"new {vendor}", **secrets}
        replies.append(post(client, {**body, "baseUrl": "ftp://nope"}, admin))
        replies.append(post(client, {**body, **NEW}, admin))  # secrets it does not take
        replies.append(post(client, body, admin))
        replies.append(post(client, body, bearer(people["editor"])))
        replies.append(post(client, body, bearer(people["outsider"])))
    replies.append(client.get(LIST, **admin))
    for account in mine:
        replies.append(patch(client, account, NEW, bearer(people["viewer"])))
        replies.append(client.delete(detail(account), **bearer(people["outsider"])))
        replies.append(client.delete(detail(account), **admin))
    statuses = {response.status_code for response in replies}
    assert statuses == {200, 201, 204, 400, 403, 404}, statuses
    for response in replies:
        assert_no_secret(response)
    assert "provider account" in caplog.text  # the services did log
    for value in [*SECRETS.values(), *NEW.values()]:
        assert value not in caplog.text


INTERNAL_URLS = [
    "http://127.0.0.1:8000",
    "https://localhost",
    "http://[::1]:8080",
    "http://169.254.169.254/latest/meta-data",
    "https://10.0.0.7",
    "https://[fd00:ec2::254]",
    "https://[::ffff:127.0.0.1]",
    "http://api.symbl.ai",
    "https://attacker.example",
]


@pytest.mark.parametrize("base_url", INTERNAL_URLS)
def test_base_urls_off_the_vendor_public_hosts_are_refused(client, ws, admin, settings, base_url):
    settings.VENDOR_EXTRA_HOSTS = []
    body = {"workspace": ws.slug, "vendor": "symbl", "label": "S", "baseUrl": base_url}
    response = post(client, {**body, "appId": "a", "appSecret": "b"}, admin)
    assert response.status_code == 400, response.content
    [error] = response.json()["errors"]
    assert error["loc"] == ["body", "baseUrl"]
    account = stored(ws, "deepaffects", "D")
    response = patch(client, account, {"baseUrl": base_url, "apiKey": "k2"}, admin)
    assert response.status_code == 400 and response.json()["errors"][0]["loc"][-1] == "baseUrl"
    account.refresh_from_db()
    assert account.base_url == "" and account.secret("api_key") == SECRETS["apiKey"]


def test_hosts_the_deployment_lists_are_accepted(client, ws, admin, settings):
    settings.VENDOR_EXTRA_HOSTS = ["symbl-proxy.internal"]
    body = {"workspace": ws.slug, "vendor": "symbl", "label": "S", "appId": "a", "appSecret": "b"}
    response = post(client, {**body, "baseUrl": "http://symbl-proxy.internal:8080"}, admin)
    assert response.status_code == 201, response.content


def test_changing_the_base_url_requires_the_secrets_again(client, ws, admin, settings):
    settings.VENDOR_EXTRA_HOSTS = ["symbl-proxy.internal"]
    account = stored(ws, "symbl", "S")
    before = snapshot()
    response = patch(client, account, {"baseUrl": "https://symbl-proxy.internal"}, admin)
    assert response.status_code == 400
    errors = {tuple(e["loc"]): e["msg"] for e in response.json()["errors"]}
    assert set(errors) == {("body", "appId"), ("body", "appSecret")}
    assert "Enter this secret again: the base URL changed" in errors[("body", "appId")]
    assert snapshot() == before
    # Typed again, both go to the new URL; the same URL written differently needs nothing.
    both = {"appId": NEW["appId"], "appSecret": NEW["appSecret"]}
    response = patch(client, account, {"baseUrl": "https://symbl-proxy.internal", **both}, admin)
    assert response.status_code == 200, response.content
    assert (
        patch(client, account, {"baseUrl": "https://symbl-proxy.internal/"}, admin).status_code
        == 200
    )


def test_changing_the_elevenlabs_region_requires_the_key_again(client, ws, admin):
    account = stored(ws, "elevenlabs", "E")
    response = patch(client, account, {"baseUrl": "eu-residency"}, admin)
    assert response.status_code == 400
    assert [e["loc"] for e in response.json()["errors"]] == [["body", "apiKey"]]
    assert patch(client, account, {"baseUrl": "default"}, admin).status_code == 200
