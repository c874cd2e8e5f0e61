"""Provider accounts page: admins only, write-only secrets, validation, delete, query count."""

from __future__ import annotations

import pytest
from django.urls import reverse

from diarization_portal.conversations.models import Job, JobKind, JobState
from diarization_portal.dashboard import forms_accounts
from diarization_portal.sync.models import ProviderAccount
from diarization_portal.workspaces.models import Role
from tests import factories
from tests.dashboard.test_views import count_queries

pytestmark = pytest.mark.django_db

SECRETS = {
    "app_id": "app-id-Q7mZ2k",
    "app_secret": "app-secret-Vb81Lx0q",
    "api_key": "sk_live_77aa99ccbbdd",
    "webhook_secret": "whsec_4Rt9PqL2",
    "phonexia_key": "phx-key-Jj3kLm",
}


@pytest.fixture
def admin(ws, client):
    user = factories.user(ws, Role.ADMIN)
    client.force_login(user)
    return user


def url(name: str, ws, *args) -> str:
    return reverse(f"dashboard:{name}", args=[ws.slug, *args])


def account(ws, vendor: str, label: str = "", base_url: str = "") -> ProviderAccount:
    acc = ProviderAccount(workspace=ws, vendor=vendor, label=label or vendor, base_url=base_url)
    if vendor == "symbl":
        acc.set_secrets(app_id=SECRETS["app_id"], app_secret=SECRETS["app_secret"])
    elif vendor == "phonexia":
        acc.set_secrets(api_key=SECRETS["phonexia_key"])
    else:
        acc.set_secrets(api_key=SECRETS["api_key"])
    if vendor == "elevenlabs":
        acc.webhook_secret = SECRETS["webhook_secret"]
    acc.full_clean()
    acc.save()
    return acc


def jobs(acc: ProviderAccount, *states: str) -> list[Job]:
    conv = factories.conversation(acc.workspace, messages=2)
    return [
        Job.objects.create(conversation=conv, kind=JobKind.PROCESS, account=acc, state=state)
        for state in states
    ]


def assert_no_secret(html: str) -> None:
    for name, value in SECRETS.items():
        assert value not in html, f"the {name} value is in the page"


# --- access -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.EDITOR, Role.COMMENTER, Role.VIEWER])
def test_only_admins_manage_accounts(client, ws, role):
    acc = account(ws, "symbl")
    client.force_login(factories.user(ws, role))
    for target in [
        url("account_list", ws),
        url("account_create", ws) + "?vendor=symbl",
        url("account_edit", ws, acc.pk),
        url("account_delete", ws, acc.pk),
    ]:
        assert client.get(target).status_code == 403, target
        if target != url("account_list", ws):  # the list is GET only
            assert client.post(target, {"label": "x"}).status_code == 403, target
    assert ProviderAccount.objects.filter(pk=acc.pk, label="symbl").exists()


def test_non_members_get_404_and_anonymous_users_log_in(client, ws):
    acc = account(ws, "symbl")
    assert client.get(url("account_list", ws)).status_code == 302
    client.force_login(factories.user(factories.workspace(), Role.ADMIN))
    assert client.get(url("account_list", ws)).status_code == 404
    assert client.post(url("account_delete", ws, acc.pk)).status_code == 404
    assert ProviderAccount.objects.filter(pk=acc.pk).exists()


def test_an_account_of_another_workspace_is_a_404(client, ws, admin):
    other = factories.workspace()
    acc = account(other, "symbl")
    assert client.get(url("account_edit", ws, acc.pk)).status_code == 404
    assert client.post(url("account_delete", ws, acc.pk)).status_code == 404
    assert ProviderAccount.objects.filter(pk=acc.pk).exists()


def test_navigation_shows_accounts_to_admins_only(client, ws, admin):
    list_url = reverse("dashboard:conversation_list", args=[ws.slug])
    assert url("account_list", ws) in client.get(list_url).content.decode()
    client.force_login(factories.user(ws, Role.EDITOR))
    assert url("account_list", ws) not in client.get(list_url).content.decode()


# --- list ---------------------------------------------------------------------------------------


def test_list_shows_vendor_region_secret_state_and_jobs(client, ws, admin, settings):
    settings.PUBLIC_BASE_URL = "https://portal.example.org"
    el = account(ws, "elevenlabs", "Voices", base_url="eu-residency")
    jobs(el, JobState.DONE, JobState.PROCESSING)
    incomplete = ProviderAccount.objects.create(workspace=ws, vendor="symbl", label="Half")
    incomplete.set_secrets(app_id="only-the-id")
    incomplete.save()
    html = client.get(url("account_list", ws)).content.decode()
    row = html[html.index(f'id="account-{el.pk}"') :]
    assert "ElevenLabs" in row and "eu-residency" in row
    assert "https://api.eu.residency.elevenlabs.io" in row
    assert '<td class="num">2 <small class="muted">(1 running)</small></td>' in row
    assert 'data-secret="api_key">API key <span>set' in row
    assert f"https://portal.example.org/webhooks/elevenlabs/{el.pk}/" in row
    half = html[html.index(f'id="account-{incomplete.pk}"') :]
    assert 'class="secret set" data-secret="app_id"' in half
    assert 'class="secret missing" data-secret="app_secret"' in half
    assert "only-the-id" not in html


def test_without_public_base_url_webhooks_are_off(client, ws, admin, settings):
    settings.PUBLIC_BASE_URL = ""
    el = account(ws, "elevenlabs")
    html = client.get(url("account_list", ws)).content.decode()
    assert "Webhooks are off" in html and "/webhooks/elevenlabs/" not in html
    assert "Webhooks are off" in client.get(url("account_edit", ws, el.pk)).content.decode()


def test_list_query_count_does_not_grow_with_accounts_or_jobs(client, ws, admin):
    jobs(account(ws, "symbl", "one"), JobState.DONE)
    few = count_queries(client, url("account_list", ws))
    for n in range(12):
        acc = account(ws, ["symbl", "elevenlabs", "deepaffects"][n % 3], f"acc {n}")
        jobs(acc, JobState.DONE, JobState.QUEUED, JobState.FAILED)
    many = count_queries(client, url("account_list", ws))
    assert len(many) == len(few), many.sql()
    assert len(few) <= 8, few.sql()


# --- create and edit ----------------------------------------------------------------------------


def test_create_starts_with_a_vendor_choice(client, ws, admin):
    page = client.get(url("account_create", ws)).content.decode()
    assert 'name="vendor"' in page and "ElevenLabs" in page
    assert client.get(url("account_create", ws) + "?vendor=nope").status_code == 400


def test_create_an_elevenlabs_account_stores_the_secrets_write_only(client, ws, admin):
    form = client.get(url("account_create", ws) + "?vendor=elevenlabs").content.decode()
    assert 'name="api_key"' in form and 'name="webhook_signing_secret"' in form
    assert 'name="app_secret"' not in form  # only the vendor's own secrets
    response = client.post(
        url("account_create", ws) + "?vendor=elevenlabs",
        {
            "label": "Voices",
            "base_url": "us",
            "api_key": "sk_new_key_123456",
            "webhook_signing_secret": "whsec_new_98765",
        },
    )
    assert response.status_code == 302 and response.url == url("account_list", ws)
    acc = ProviderAccount.objects.get(workspace=ws, label="Voices")
    assert (acc.vendor, acc.base_url) == ("elevenlabs", "us")
    assert acc.secret("api_key") == "sk_new_key_123456"
    assert acc.webhook_secret == "whsec_new_98765"
    listing = client.get(response.url).content.decode()
    assert "Added account “Voices”." in listing
    assert "sk_new_key_123456" not in listing and "whsec_new_98765" not in listing


@pytest.mark.parametrize(
    ("vendor", "data", "field", "message"),
    [
        ("elevenlabs", {"base_url": "mars", "api_key": "k"}, "base_url", "Choose a region:"),
        ("phonexia", {"base_url": ""}, "base_url", "This field is required."),
        ("phonexia", {"base_url": "ftp://x"}, "base_url", "Enter an http(s) URL."),
        ("symbl", {"app_id": "id-only"}, "app_secret", "Required for this vendor."),
        ("deepaffects", {}, "api_key", "Required for this vendor."),
    ],
)
def test_invalid_accounts_name_the_field_and_save_nothing(
    client, ws, admin, vendor, data, field, message
):
    response = client.post(
        url("account_create", ws) + f"?vendor={vendor}", {"label": "Bad", **data}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    block = html[html.index(f'name="{field}"') :]
    assert message in block[: block.index("</label>")]
    assert not ProviderAccount.objects.filter(label="Bad").exists()


def test_label_must_be_unique_in_the_workspace(client, ws, admin):
    account(ws, "symbl", "Main")
    response = client.post(
        url("account_create", ws) + "?vendor=deepaffects", {"label": "main", "api_key": "k1"}
    )
    assert response.status_code == 400
    assert "Another account of this workspace has this label." in response.content.decode()
    other = factories.workspace()
    account(other, "symbl", "Shared label")
    response = client.post(
        url("account_create", ws) + "?vendor=deepaffects",
        {"label": "Shared label", "api_key": "k1"},
    )
    assert response.status_code == 302


def test_edit_with_blank_secrets_keeps_them_and_typed_ones_replace(client, ws, admin):
    acc = account(ws, "elevenlabs", "Voices", base_url="eu-residency")
    response = client.post(
        url("account_edit", ws, acc.pk),
        {"label": "Voices EU", "base_url": "eu-residency", "api_key": "", "vendor": "symbl"},
    )
    assert response.status_code == 302
    acc.refresh_from_db()
    assert (acc.label, acc.base_url, acc.vendor) == ("Voices EU", "eu-residency", "elevenlabs")
    assert acc.secret("api_key") == SECRETS["api_key"]
    assert acc.webhook_secret == SECRETS["webhook_secret"]
    client.post(
        url("account_edit", ws, acc.pk),
        {
            "label": "Voices EU",
            "base_url": "eu-residency",
            "webhook_signing_secret": "whsec_rotated",
        },
    )
    acc.refresh_from_db()
    assert acc.webhook_secret == "whsec_rotated" and acc.secret("api_key") == SECRETS["api_key"]


def test_secrets_never_appear_in_any_page(client, ws, admin, settings):
    settings.PUBLIC_BASE_URL = "https://portal.example.org"
    accounts = [
        account(ws, "symbl", "S"),
        account(ws, "elevenlabs", "E"),
        account(ws, "phonexia", "P", base_url="https://phx.example.org:8600"),
        account(ws, "deepaffects", "D"),
    ]
    for acc in accounts:
        jobs(acc, JobState.PROCESSING)
    pages = [client.get(url("account_list", ws))]
    for acc in accounts:
        pages.append(client.get(url("account_edit", ws, acc.pk)))
        pages.append(client.get(url("account_delete", ws, acc.pk)))
        # a failed validation: the typed secret is not echoed, the stored ones not shown
        failed = client.post(
            url("account_edit", ws, acc.pk),
            {
                "label": "",
                "base_url": "not a url",
                "api_key": SECRETS["api_key"],
                "app_secret": SECRETS["app_secret"],
                "webhook_signing_secret": SECRETS["webhook_secret"],
            },
        )
        assert failed.status_code == 400
        pages.append(failed)
    pages.append(client.get(url("account_create", ws) + "?vendor=symbl"))
    for page in pages:
        assert page.status_code in (200, 400)
        assert_no_secret(page.content.decode())
    # the failed posts changed nothing
    assert sorted(ProviderAccount.objects.values_list("label", flat=True)) == ["D", "E", "P", "S"]


# --- delete -------------------------------------------------------------------------------------


def test_delete_confirms_what_happens_to_jobs_then_keeps_them(client, ws, admin):
    acc = account(ws, "elevenlabs", "Old key")
    made = jobs(acc, JobState.DONE, JobState.PROCESSING, JobState.QUEUED)
    page = client.get(url("account_delete", ws, acc.pk)).content.decode()
    assert "used by <strong>3 jobs</strong> in 1 conversation." in page
    assert "2 unfinished jobs can no longer reach ElevenLabs" in page
    assert "the provider account of this job was deleted" in page
    assert ProviderAccount.objects.filter(pk=acc.pk).exists()  # GET deletes nothing

    response = client.post(url("account_delete", ws, acc.pk))
    assert response.status_code == 302 and response.url == url("account_list", ws)
    assert not ProviderAccount.objects.filter(pk=acc.pk).exists()
    kept = Job.objects.filter(pk__in=[j.pk for j in made])
    assert kept.count() == 3 and set(kept.values_list("account", flat=True)) == {None}
    assert "Deleted account “Old key”." in client.get(response.url).content.decode()


def test_a_label_the_services_refuse_after_the_form_is_shown_on_the_label(
    client, ws, admin, monkeypatch
):
    """The page saves through the account services (shared with the API); their errors land
    on the form's fields (here a label another request took after the form checked it)."""
    account(ws, "symbl", "Main")
    monkeypatch.setattr(forms_accounts, "label_error", lambda **kwargs: None)
    response = client.post(
        url("account_create", ws) + "?vendor=deepaffects", {"label": "MAIN", "api_key": "k1"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    block = html[html.index('name="label"') :]
    assert "Another account of this workspace has this label." in block[: block.index("</label>")]
    assert ProviderAccount.objects.filter(workspace=ws).count() == 1


@pytest.mark.parametrize(
    "base_url",
    [
        "http://127.0.0.1:8000",
        "http://localhost",
        "http://[::1]",
        "http://169.254.169.254/latest/meta-data",
        "https://10.1.2.3",
        "https://[::ffff:169.254.169.254]",
    ],
)
def test_base_urls_inside_the_network_are_refused_on_the_field(
    client, ws, admin, settings, base_url
):
    settings.VENDOR_EXTRA_HOSTS = []
    response = client.post(
        url("account_create", ws) + "?vendor=deepaffects",
        {"label": "D", "base_url": base_url, "api_key": "k"},
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert list(form.errors) == ["base_url"]
    assert not ProviderAccount.objects.exists()


def test_changing_the_base_url_asks_for_the_secrets_again(client, ws, admin, settings):
    settings.VENDOR_EXTRA_HOSTS = ["symbl-proxy.internal"]
    acc = account(ws, "symbl", "S")
    edit = url("account_edit", ws, acc.pk)
    response = client.post(edit, {"label": "S", "base_url": "https://symbl-proxy.internal"})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"app_id", "app_secret"}
    assert "Enter this secret again" in errors["app_id"][0]
    acc.refresh_from_db()
    assert acc.base_url == "" and acc.secret("app_secret") == SECRETS["app_secret"]
    typed = {"app_id": "new-id", "app_secret": "new-secret"}
    response = client.post(
        edit, {"label": "S", "base_url": "https://symbl-proxy.internal", **typed}
    )
    assert response.status_code == 302
    acc.refresh_from_db()
    assert (acc.base_url, acc.secret("app_secret")) == (
        "https://symbl-proxy.internal",
        "new-secret",
    )
