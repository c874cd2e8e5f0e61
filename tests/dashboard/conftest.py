"""Fixtures of the dashboard tests that send recordings to vendors and show job states."""

from __future__ import annotations

import pytest

from diarization_portal.conversations.models import Conversation, Job, JobKind, JobState
from diarization_portal.sync.models import ProviderAccount
from tests import factories
from tests.sync.conftest import make_account


@pytest.fixture
def sync_settings(settings, tmp_path):
    """Uploaded recordings go to a temporary MEDIA_ROOT; webhooks have a public address;
    test users get a fast password hash."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PUBLIC_BASE_URL = "https://portal.example.org"
    return settings


def account(ws, vendor: str, **kwargs) -> ProviderAccount:
    """A saved account of ``vendor`` with every required secret."""
    base = {"phonexia": "https://phonexia.example.org:8600"}.get(vendor, "")
    return make_account(ws, vendor, base_url=kwargs.pop("base_url", base), **kwargs)


def vendor_conversation(
    ws, acct: ProviderAccount, *, jobs: int = 1, state: str = JobState.DONE, **kwargs
) -> Conversation:
    """A conversation of ``acct``'s vendor (``factories.conversation`` members and messages)
    with ``jobs`` vendor jobs in ``state``, oldest first (a process, then appends)."""
    conv = factories.conversation(ws, **kwargs)
    Conversation.objects.filter(pk=conv.pk).update(vendor=acct.vendor, external_id="vendor-conv-1")
    conv.refresh_from_db()
    Job.objects.bulk_create(
        Job(
            conversation=conv,
            kind=JobKind.PROCESS if i == 0 else JobKind.APPEND,
            account=acct,
            state=state,
            source_url=f"https://media.example.org/part{i + 1}.mp3",
            source_name=f"part{i + 1}.mp3",
        )
        for i in range(jobs)
    )
    return conv
