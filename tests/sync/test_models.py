"""ProviderAccount: write-only secrets (repr, admin), base URL rules, client building; Job
webhook tokens."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from diarization_portal.conversations.models import Job
from diarization_portal.sync.clients import client_for
from diarization_portal.sync.models import ProviderAccount
from providers.deepaffects import DeepAffectsClient
from providers.elevenlabs import ElevenLabsClient
from providers.phonexia import PhonexiaClient
from providers.symbl import SymblClient
from providers.types import ProviderError
from tests import factories

from .conftest import SECRETS, make_account

pytestmark = pytest.mark.django_db

ALL_SECRETS = list(SECRETS.values())


def assert_no_secret(text: str) -> None:
    for secret in ALL_SECRETS:
        assert secret not in text


@pytest.fixture
def accounts(workspace):
    return {
        "symbl": make_account(workspace, "symbl"),
        "elevenlabs": make_account(workspace, "elevenlabs", base_url="eu-residency"),
        "phonexia": make_account(workspace, "phonexia", base_url="https://phx.example.org:8600"),
        "deepaffects": make_account(workspace, "deepaffects"),
    }


def test_repr_and_str_never_show_secrets(accounts):
    for account in accounts.values():
        assert_no_secret(repr(account) + str(account))
    assert str(accounts["symbl"]) == "symbl main (Symbl.ai)"
    assert repr(accounts["symbl"]).startswith("<ProviderAccount ")


def test_set_secrets_keeps_values_on_blank_and_refuses_foreign_names(accounts):
    account = accounts["symbl"]
    assert account.set_secrets(app_id="", app_secret=None) == []
    assert account.secret("app_secret") == SECRETS["app_secret"]
    assert account.set_secrets(app_secret="new-secret") == ["app_secret"]
    with pytest.raises(ValueError, match="api_key"):
        account.set_secrets(api_key="x")


def test_missing_secrets_name_what_is_missing(workspace):
    account = ProviderAccount(workspace=workspace, vendor="symbl", label="x")
    assert account.missing_secrets() == ["app_id", "app_secret"]
    assert ProviderAccount(vendor="phonexia").missing_secrets() == []


@pytest.mark.parametrize(
    ("vendor", "base_url", "ok"),
    [
        ("elevenlabs", "", True),
        ("elevenlabs", "us", True),
        ("elevenlabs", "https://api.elevenlabs.io", True),
        ("elevenlabs", "http://127.0.0.1:8765/elevenlabs", True),
        ("elevenlabs", "mars", False),
        ("elevenlabs", "ftp://eleven.example.org", False),
        ("phonexia", "", False),
        ("phonexia", "https://phx.example.org:8600", True),
        ("phonexia", "phx.example.org", False),
        ("symbl", "", True),
        ("deepaffects", "ftp://x", False),
    ],
)
def test_base_url_rules(workspace, vendor, base_url, ok):
    account = ProviderAccount(workspace=workspace, vendor=vendor, label="x", base_url=base_url)
    if ok:
        account.full_clean()
    else:
        with pytest.raises(ValidationError) as info:
            account.full_clean()
        assert "base_url" in info.value.message_dict


def test_client_for_builds_each_vendor_client(accounts):
    symbl = client_for(accounts["symbl"])
    assert isinstance(symbl, SymblClient) and symbl.base_url == "https://api.symbl.ai"
    assert client_for(accounts["symbl"]) is symbl  # cached: one token per account
    eleven = client_for(accounts["elevenlabs"])
    assert isinstance(eleven, ElevenLabsClient)
    assert eleven.base_url == "https://api.eu.residency.elevenlabs.io"
    phonexia = client_for(accounts["phonexia"])
    assert isinstance(phonexia, PhonexiaClient) and phonexia.base_url.endswith(":8600")
    assert isinstance(client_for(accounts["deepaffects"]), DeepAffectsClient)


def test_an_elevenlabs_account_may_name_a_url_instead_of_a_region(workspace):
    account = make_account(workspace, "elevenlabs", base_url="http://127.0.0.1:8765/el/")
    assert account.resolved_base_url == "http://127.0.0.1:8765/el"
    assert client_for(account).base_url == "http://127.0.0.1:8765/el"
    with pytest.raises(ValidationError, match="Choose a region: default, us"):
        make_account(workspace, "elevenlabs", base_url="mars", label="Mars")


def test_vendor_http_timeout_setting_is_the_default_timeout_of_every_client(accounts, settings):
    assert client_for(accounts["phonexia"]).http.timeout == (5, 30)
    settings.VENDOR_HTTP_TIMEOUT = (1, 2)
    for vendor in ("symbl", "elevenlabs", "phonexia", "deepaffects"):
        assert client_for(accounts[vendor]).http.timeout == (1, 2), vendor
    assert client_for(accounts["symbl"]).http.vendor == "Symbl"


def test_client_for_a_changed_secret_is_a_new_client(accounts):
    account = accounts["symbl"]
    first = client_for(account)
    account.set_secrets(app_secret="rotated-secret")
    account.save()
    assert client_for(account) is not first


def test_client_for_an_incomplete_account_names_the_gap(workspace):
    account = ProviderAccount.objects.create(workspace=workspace, vendor="deepaffects", label="x")
    with pytest.raises(ProviderError, match="missing api_key") as info:
        client_for(account)
    assert info.value.error_type == "account_incomplete" and not info.value.retryable


def test_webhook_tokens_are_long_and_unique(workspace):
    conversation = factories.conversation(workspace, messages=0)
    tokens = {
        Job.objects.create(conversation=conversation, kind="process").webhook_token
        for _ in range(20)
    }
    assert len(tokens) == 20 and all(len(t) >= 43 for t in tokens)


# -- admin ----------------------------------------------------------------------------------


@pytest.fixture
def staff(client):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_superuser("root", "root@example.org", "pw-root-123")
    client.force_login(user)
    return client


def test_admin_pages_never_render_a_secret(staff, accounts):
    pages = ["/admin/sync/provideraccount/", "/admin/sync/provideraccount/add/"]
    pages += [f"/admin/sync/provideraccount/{a.pk}/change/" for a in accounts.values()]
    for page in pages:
        response = staff.get(page)
        assert response.status_code == 200, page
        assert_no_secret(response.content.decode())
    change = staff.get(f"/admin/sync/provideraccount/{accounts['symbl'].pk}/change/")
    assert b'type="password"' in change.content


def test_admin_change_keeps_the_workspace_and_vendor_of_an_account(staff, accounts):
    from tests import factories

    account = accounts["symbl"]
    other = factories.workspace("Elsewhere")
    response = staff.post(
        f"/admin/sync/provideraccount/{account.pk}/change/",
        {"workspace": other.pk, "vendor": "deepaffects", "label": "Renamed", "base_url": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    account.refresh_from_db()
    assert (account.label, account.vendor) == ("Renamed", "symbl")
    assert account.workspace_id != other.pk


def test_admin_add_stores_secrets_write_only(staff, workspace):
    response = staff.post(
        "/admin/sync/provideraccount/add/",
        {
            "workspace": workspace.pk,
            "vendor": "elevenlabs",
            "label": "Voices",
            "base_url": "us",
            "api_key": "sk_admin_added_1234",
            "webhook_signing_secret": "whsec_admin_5678",
        },
    )
    assert response.status_code == 302
    account = ProviderAccount.objects.get(label="Voices")
    assert account.secret("api_key") == "sk_admin_added_1234"
    assert account.webhook_secret == "whsec_admin_5678"
    page = staff.get(f"/admin/sync/provideraccount/{account.pk}/change/").content.decode()
    assert "sk_admin_added_1234" not in page and "whsec_admin_5678" not in page


def test_admin_change_with_blank_secrets_keeps_them(staff, accounts):
    account = accounts["symbl"]
    url = f"/admin/sync/provideraccount/{account.pk}/change/"
    data = {
        "workspace": account.workspace_id,
        "vendor": "symbl",
        "label": "Renamed",
        "base_url": "",
    }
    assert staff.post(url, data).status_code == 302
    account.refresh_from_db()
    assert account.label == "Renamed" and account.secret("app_secret") == SECRETS["app_secret"]


def test_admin_errors_do_not_echo_secrets(staff, workspace):
    response = staff.post(
        "/admin/sync/provideraccount/add/",
        {
            "workspace": workspace.pk,
            "vendor": "symbl",
            "label": "S",
            "app_secret": "echo-me-not-42",
        },
    )
    assert response.status_code == 200  # app_id is missing
    page = response.content.decode()
    assert "echo-me-not-42" not in page and "Required for this vendor" in page


def test_admin_change_of_the_base_url_needs_the_secrets_again(staff, accounts, settings):
    settings.VENDOR_EXTRA_HOSTS = ["symbl-proxy.internal"]
    account = accounts["symbl"]
    url = f"/admin/sync/provideraccount/{account.pk}/change/"
    data = {"label": account.label, "base_url": "https://symbl-proxy.internal"}
    response = staff.post(url, data)
    assert response.status_code == 200
    assert set(response.context["adminform"].form.errors) == {"app_id", "app_secret"}
    account.refresh_from_db()
    assert account.base_url == ""
    response = staff.post(url, {**data, "base_url": "http://169.254.169.254/"})
    assert "metadata address" in str(response.context["adminform"].form.errors["base_url"])
    typed = {"app_id": "id-2", "app_secret": "secret-2"}
    assert staff.post(url, {**data, **typed}).status_code == 302
    account.refresh_from_db()
    assert account.base_url == "https://symbl-proxy.internal"
