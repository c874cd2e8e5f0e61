"""Fixtures for the vendor sync tests: recorded vendor JSON, accounts, a task recorder.

Tasks never reach a cluster here: ``async_task`` is replaced by :class:`TaskRecorder`, which
keeps each ``(task path, args)`` and runs them on demand by calling the task functions
directly (synchronously). Sync tests use ``django_db(transaction=True)`` so that
``transaction.on_commit`` fires as in production.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import responses
from django.utils import timezone
from django.utils.module_loading import import_string

from diarization_portal.conversations.models import Job
from diarization_portal.sync import clients
from diarization_portal.sync.models import ProviderAccount
from diarization_portal.sync.services import _queue
from tests import factories

RECORDED = Path(__file__).resolve().parents[1] / "providers" / "recorded"
PUBLIC = "https://portal.example.org"
SECRETS = {
    "app_id": "symbl-app-id-5Qx",
    "app_secret": "symbl-app-secret-Zq81xV0mPp",
    "api_key": "sk_live_9f8e7d6c5b4a39281706",
    "webhook_secret": "whsec_elevenlabs_Kd93jf02",
}


def recorded(vendor: str, name: str):
    """The decoded recorded body ``tests/providers/recorded/<vendor>/<name>``."""
    return json.loads((RECORDED / vendor / name).read_text())


class TaskRecorder:
    """Stands in for ``django_q.tasks.async_task``: records, then runs on demand."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple]] = []

    def __call__(self, func: str, *args, **kwargs) -> str:
        self.calls.append((func.rsplit(".", 1)[-1], args))
        return f"task-{len(self.calls)}"

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]

    def take(self) -> list[tuple[str, tuple]]:
        taken, self.calls = self.calls, []
        return taken

    def run_all(self, limit: int = 50) -> list[str]:
        """Run recorded tasks (and those they enqueue) until none is left; return the
        names run. Jobs are made due first, as the sweeper would find them later."""
        ran = []
        for _ in range(limit):
            if not self.calls:
                return ran
            name, args = self.calls.pop(0)
            if name != "push_member":
                Job.objects.filter(pk=args[0]).update(next_check_at=timezone.now())
            import_string(f"diarization_portal.sync.tasks.{name}")(*args)
            ran.append(name)
        raise AssertionError(f"tasks still queued after {limit} runs: {self.calls}")


@pytest.fixture
def tasks(monkeypatch) -> TaskRecorder:
    recorder = TaskRecorder()
    monkeypatch.setattr(_queue, "async_task", recorder)
    return recorder


@pytest.fixture(autouse=True)
def _sync_settings(settings, tmp_path):
    settings.PUBLIC_BASE_URL = PUBLIC
    settings.MEDIA_ROOT = tmp_path / "media"
    clients.clear_cache()
    yield
    clients.clear_cache()


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def workspace(db):
    return factories.workspace()


def make_account(workspace, vendor: str, *, base_url: str = "", label: str = "") -> ProviderAccount:
    """A saved account of ``vendor`` with the test secrets it uses."""
    account = ProviderAccount(
        workspace=workspace, vendor=vendor, label=label or f"{vendor} main", base_url=base_url
    )
    names = {"symbl": ("app_id", "app_secret")}.get(vendor, ("api_key",))
    account.set_secrets(**{n: SECRETS[n] for n in names})
    if vendor == "elevenlabs":
        account.webhook_secret = SECRETS["webhook_secret"]
    account.full_clean()
    account.save()
    return account


@pytest.fixture
def account(workspace) -> ProviderAccount:
    """A Symbl account of ``workspace`` (modules that need another define their own)."""
    return make_account(workspace, "symbl")


def due(job: Job) -> Job:
    """Make ``job`` due now (the sweeper's view of it) and return it fresh."""
    Job.objects.filter(pk=job.pk).update(next_check_at=timezone.now())
    return Job.objects.get(pk=job.pk)


def age(job: Job, **delta) -> Job:
    """Pretend ``job`` was submitted ``delta`` ago."""
    Job.objects.filter(pk=job.pk).update(
        submitted_at=timezone.now() - timedelta(**delta), next_check_at=timezone.now()
    )
    return Job.objects.get(pk=job.pk)
