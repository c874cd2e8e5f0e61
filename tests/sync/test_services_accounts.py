"""The provider account services shared by the dashboard and the API: the rules (label unique
per workspace whatever its case, base URL per vendor, the vendor's own secrets, required ones),
blank secrets keeping stored ones, every error at once, and deletes that keep jobs."""

from __future__ import annotations

import pytest

from diarization_portal.conversations.models import Job, JobKind, JobState
from diarization_portal.sync.models import ProviderAccount
from diarization_portal.sync.services import accounts
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def ws():
    return factories.workspace("Acme")


def test_secret_names_per_vendor():
    assert accounts.secret_names("symbl") == ["app_id", "app_secret"]
    assert accounts.secret_names("elevenlabs") == ["api_key", "webhook_secret"]
    assert accounts.secret_names("phonexia") == ["api_key"]
    assert accounts.secret_names("deepaffects") == ["api_key"]


def test_secret_errors_count_stored_secrets_and_ignore_blank_ones():
    assert accounts.secret_errors(vendor="symbl", stored={}, typed={"app_id": "a"}) == {
        "app_secret": accounts.REQUIRED_SECRET
    }
    stored = {"app_id": "a", "app_secret": "b"}
    assert accounts.secret_errors(vendor="symbl", stored=stored, typed={"app_id": " "}) == {}
    assert accounts.secret_errors(
        vendor="deepaffects", stored={"api_key": "k"}, typed={"webhook_secret": "w"}
    ) == {"webhook_secret": accounts.UNUSED_SECRET}
    assert accounts.secret_errors(vendor="phonexia", stored={}, typed={}) == {}


def test_create_stores_the_secrets_and_strips_the_label(ws):
    account = accounts.account_create(
        workspace=ws,
        vendor="elevenlabs",
        label=" Voices ",
        base_url="us",
        secrets={"api_key": " sk_1 ", "webhook_secret": "whsec_1"},
    )
    account = ProviderAccount.objects.get(pk=account.pk)
    assert (account.label, account.base_url, account.vendor) == ("Voices", "us", "elevenlabs")
    assert (account.secret("api_key"), account.webhook_secret) == ("sk_1", "whsec_1")


def test_create_reports_every_error_at_once_and_saves_nothing(ws):
    accounts.account_create(
        workspace=ws, vendor="symbl", label="Main", secrets={"app_id": "a", "app_secret": "b"}
    )
    with pytest.raises(accounts.AccountInvalid) as refused:
        accounts.account_create(
            workspace=ws,
            vendor="symbl",
            label="MAIN",
            base_url="ftp://x",
            secrets={"app_id": "a", "api_key": "sk_secret_value"},
        )
    assert refused.value.errors == {
        "label": [accounts.LABEL_TAKEN],
        "base_url": ["Enter an http(s) URL."],
        "api_key": [accounts.UNUSED_SECRET],
        "app_secret": [accounts.REQUIRED_SECRET],
    }
    assert "sk_secret_value" not in str(refused.value)
    assert ProviderAccount.objects.count() == 1


def test_an_unknown_vendor_is_a_vendor_error(ws):
    with pytest.raises(accounts.AccountInvalid) as refused:
        accounts.account_create(workspace=ws, vendor="file", label="Files")
    assert list(refused.value.errors) == ["vendor"]


def test_update_keeps_what_is_not_given(ws, settings):
    settings.VENDOR_EXTRA_HOSTS = ["proxy.example.org"]
    account = accounts.account_create(
        workspace=ws, vendor="symbl", label="Main", secrets={"app_id": "a", "app_secret": "b"}
    )
    accounts.account_update(account=account, secrets={"app_id": "", "app_secret": None})
    accounts.account_update(
        account=account,
        base_url="https://proxy.example.org",
        secrets={"app_id": "a", "app_secret": "b"},
    )
    accounts.account_update(account=account, label="Main 2", secrets={"app_secret": "b2"})
    account = ProviderAccount.objects.get(pk=account.pk)
    assert (account.label, account.base_url) == ("Main 2", "https://proxy.example.org")
    assert account.secrets == {"app_id": "a", "app_secret": "b2"}


def test_update_may_keep_its_own_label_in_another_case(ws):
    account = accounts.account_create(
        workspace=ws, vendor="deepaffects", label="Moods", secrets={"api_key": "k"}
    )
    assert accounts.account_update(account=account, label="MOODS").label == "MOODS"


def test_a_label_taken_between_the_check_and_the_save_is_a_label_error(ws, monkeypatch):
    accounts.account_create(
        workspace=ws, vendor="phonexia", label="Lab", base_url="https://phx.example.org"
    )
    monkeypatch.setattr(accounts, "label_error", lambda **kwargs: None)
    with pytest.raises(accounts.AccountInvalid) as refused:
        accounts.account_create(
            workspace=ws, vendor="phonexia", label="Lab", base_url="https://phonexia.example.org"
        )
    assert refused.value.errors == {"label": [accounts.LABEL_TAKEN]}
    assert ProviderAccount.objects.count() == 1


def test_delete_keeps_the_jobs_without_their_account(ws):
    account = accounts.account_create(
        workspace=ws, vendor="deepaffects", label="Moods", secrets={"api_key": "k"}
    )
    conv = factories.conversation(ws, messages=2)
    job = Job.objects.create(
        conversation=conv, kind=JobKind.PROCESS, account=account, state=JobState.QUEUED
    )
    assert accounts.account_delete(account=account) == 1
    job.refresh_from_db()
    assert job.account_id is None
    assert not ProviderAccount.objects.filter(pk=account.pk).exists()
