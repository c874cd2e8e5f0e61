"""Helpers of the tests that submit recordings on Symbl's Async API paths
(``test_process.py``, ``test_process_appends.py``): provider accounts with test secrets, the
submit request and the job it queued."""

from __future__ import annotations

import json

from django.urls import reverse

from diarization_portal.conversations.models import Job
from diarization_portal.sync.models import ProviderAccount

URL = "https://media.example.org/calls/weekly-sync.mp3"
SECRETS = {
    "symbl": {"app_id": "app-1", "app_secret": "secret-1"},
    "elevenlabs": {"api_key": "sk-1"},
    "phonexia": {},
    "deepaffects": {"api_key": "da-1"},
}


def make_account(ws, vendor: str = "symbl", label: str = "", **fields) -> ProviderAccount:
    """A saved account of ``vendor`` in ``ws`` with the test secrets it needs."""
    account = ProviderAccount(
        workspace=ws, vendor=vendor, label=label or f"{vendor} main", **fields
    )
    account.set_secrets(**SECRETS[vendor])
    account.save()
    return account


def submit(client, auth, body, *, name="process_audio_url", args=(), query="", method="post"):
    """Send ``body`` as JSON to the API URL ``api:<name>`` (``query``: the query string with
    its ``?``), authenticated by the ``auth`` headers."""
    url = reverse(f"api:{name}", args=list(args)) + query
    call = getattr(client, method)
    return call(url, json.dumps(body), content_type="application/json", **auth)


def only_job() -> Job:
    """The one job in the database, with its conversation."""
    return Job.objects.select_related("conversation").get()
