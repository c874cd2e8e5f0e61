"""Fixtures and helpers of the dashboard tests that send recordings to vendors and show job
and push states."""

from __future__ import annotations

import re

import pytest

from diarization_portal.conversations.models import (
    Conversation,
    Job,
    JobKind,
    JobState,
    Member,
    SyncState,
)
from diarization_portal.sync.models import ProviderAccount
from diarization_portal.workspaces.models import Role, Workspace
from tests import factories
from tests.sync.conftest import make_account

#: Headers of a request htmx sends.
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def ws() -> Workspace:
    """The workspace "Acme" (modules that need another define their own ``ws``)."""
    return factories.workspace("Acme")


@pytest.fixture
def sync_settings(settings, tmp_path):
    """Uploaded recordings go to a temporary MEDIA_ROOT; webhooks have a public address."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PUBLIC_BASE_URL = "https://portal.example.org"
    return settings


@pytest.fixture
def editor(client, ws, sync_settings):
    """An editor of ``ws``, logged in on ``client``."""
    user = factories.user(ws, Role.EDITOR)
    client.force_login(user)
    return user


@pytest.fixture
def symbl(ws) -> ProviderAccount:
    """A Symbl account of ``ws`` with its secrets."""
    return account(ws, "symbl")


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


def polls(html: str, section: str) -> bool:
    """True when the ``<section id=section>`` opening tag carries an htmx poll."""
    tag = re.search(rf'<section[^>]*id="{section}"[^>]*>', html, re.S).group(0)
    return 'hx-trigger="every' in tag


def set_states(conv, *states: str, error: str = "") -> list[Member]:
    """Give the conversation's members (by position) these sync states; failed ones get
    ``error`` as their reason. Returns the members in that order."""
    members = list(conv.members.order_by("position"))
    for member, state in zip(members, states, strict=False):
        Member.objects.filter(pk=member.pk).update(
            sync_state=state, sync_error=error if state == SyncState.FAILED else ""
        )
    return members


def merged_duplicate(conv, target, **fields) -> Member:
    """A member already merged into ``target`` (its messages moved) whose push failed."""
    return Member.objects.create(
        conversation=conv,
        name="Duplicate speaker",
        vendor_label="dup",
        position=99,
        merged_into=target,
        sync_state=SyncState.FAILED,
        **fields,
    )


def member_rows(html: str, member) -> str:
    """The member's row of the speakers table, with its push failure row if any."""
    start = html.index(f'<tr id="member-{member.pk}"')
    ends = [html.find(m, start + 1) for m in ('<tr id="member-', "</tbody>")]
    return html[start : min(e for e in ends if e > 0)]
