"""Symbl's API mocked with ``responses`` from the recorded bodies (vendor-apis.md section 1):
the ids in those bodies and helpers that register the token, job, conversation and submit
calls on a ``responses.RequestsMock``."""

from __future__ import annotations

from diarization_portal.conversations.models import Job
from diarization_portal.sync import services

from .conftest import recorded

BASE = "https://api.symbl.ai"
CONV = "5120334411530240"
JOB = "3d1f0b7e-2a9c-4c55-9e0a-8b7a61c2f4d1"
SPK1 = "9d6d34d9-5019-4a1e-8c2b-7e6f5a4b3c21"
SPK2 = "2f69f1c8-bf0a-4f4e-9a57-0b1c2d3e4f50"
CONV_URL = f"{BASE}/v1/conversations/{CONV}"
MEDIA_URL = "https://media.example.org/weekly.mp3"


def symbl(name: str):
    """The recorded Symbl body ``name`` (parsed JSON)."""
    return recorded("symbl", name)


def add_token(rsps) -> None:
    """Symbl's token endpoint answers a token."""
    rsps.post(f"{BASE}/oauth2/token:generate", json=symbl("token.json"))


def add_job(rsps, status: str) -> None:
    """Symbl's Job API answers job :data:`JOB` in ``status``."""
    rsps.get(f"{BASE}/v1/job/{JOB}", json={**symbl("job.json"), "status": status})


def add_job_error(rsps, **reply) -> None:
    """Symbl's Job API answers ``reply`` (``status``, ``json``, ``headers``, ``body``…)."""
    rsps.get(f"{BASE}/v1/job/{JOB}", **reply)


def add_conversation(rsps) -> None:
    """Symbl's Conversation API answers conversation :data:`CONV` with its members,
    messages and insights."""
    rsps.get(CONV_URL, json=symbl("conversation.json"))
    rsps.get(f"{CONV_URL}/members", json=symbl("members.json"))
    rsps.get(f"{CONV_URL}/messages", json=symbl("messages.json"))
    rsps.get(f"{CONV_URL}/insights", json=symbl("insights.json"))
    rsps.get(f"{CONV_URL}/action-items", json=symbl("action_items.json"))
    rsps.get(f"{CONV_URL}/questions", json=symbl("questions.json"))
    rsps.get(f"{CONV_URL}/follow-ups", json=symbl("follow_ups.json"))


def submitted_to_symbl(job: Job, rsps) -> Job:
    """Submit ``job`` (a URL job of a Symbl account) with Symbl accepting it; the job as
    :func:`~diarization_portal.sync.services.job_submit` returns it."""
    add_token(rsps)
    rsps.post(f"{BASE}/v1/process/audio/url", json=symbl("submit.json"), status=201)
    return services.job_submit(job_id=job.pk)
