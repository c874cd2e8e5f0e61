"""The provider account services are atomic: adding or changing an account is one write that
leaves nothing when refused, and a delete (jobs unlinked, then the account) fails after any
write without a trace. Helpers: :mod:`tests.atomicity`."""

from __future__ import annotations

import pytest

from diarization_portal.conversations.models import Conversation, Job, JobKind
from diarization_portal.sync.models import ProviderAccount
from diarization_portal.sync.services import accounts
from tests import factories
from tests.atomicity import before_lock, every_write_fails, half_way

pytestmark = pytest.mark.django_db(transaction=True)

SYMBL = {"app_id": "symbl-app-id", "app_secret": "symbl-app-secret"}


def test_adding_and_changing_an_account_leave_nothing_when_their_write_fails():
    ws = factories.workspace()

    def add():
        return accounts.account_create(workspace=ws, vendor="symbl", label="Main", secrets=SYMBL)

    half_way(add, nth=1)
    account = add()

    def change():
        return accounts.account_update(
            account=account, label="Renamed", secrets={"app_secret": "new-secret"}
        )

    half_way(change, nth=1)
    assert change().label == "Renamed"
    assert ProviderAccount.objects.get().secret("app_secret") == "new-secret"


def test_deleting_an_account_fails_half_way_without_a_trace_then_keeps_its_jobs():
    ws = factories.workspace()
    account = accounts.account_create(workspace=ws, vendor="symbl", label="Main", secrets=SYMBL)
    conv = Conversation.objects.create(workspace=ws, title="Weekly")
    Job.objects.create(conversation=conv, kind=JobKind.PROCESS, account=account)

    assert every_write_fails(lambda: accounts.account_delete(account=account)) == 1
    assert not ProviderAccount.objects.exists()
    assert Job.objects.get().account_id is None


def test_deleting_an_account_counts_its_jobs_once_it_holds_it():
    ws = factories.workspace()
    account = accounts.account_create(workspace=ws, vendor="symbl", label="Main", secrets=SYMBL)
    conv = Conversation.objects.create(workspace=ws, title="Weekly")

    def job_created_meanwhile():  # another request sends a recording with the account
        Job.objects.create(conversation=conv, kind=JobKind.PROCESS, account=account)

    with before_lock(ProviderAccount, job_created_meanwhile) as locks:
        assert accounts.account_delete(account=account) == 1
    assert locks
    assert Job.objects.get().account_id is None
