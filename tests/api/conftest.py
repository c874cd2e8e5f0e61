"""Fixtures for the REST API tests: a workspace with one user per role, API keys, clients."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from diarization_portal.api.services import api_key_create
from diarization_portal.conversations.models import Conversation, Member
from diarization_portal.sync.models import ProviderAccount
from diarization_portal.workspaces.models import Role
from tests import factories
from tests.api.submits import make_account

ROLES = (Role.ADMIN, Role.EDITOR, Role.COMMENTER, Role.VIEWER)


@pytest.fixture(autouse=True)
def _fresh_throttle():
    """Throttle counters live in the cache; every test starts from zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def ws():
    return factories.workspace("Acme")


@pytest.fixture
def people(ws) -> dict[str, object]:
    """One user per role in ``ws``, plus ``outsider`` (admin of another workspace)."""
    found = {str(role): factories.user(ws, role, username=f"{role}-user") for role in ROLES}
    found["outsider"] = factories.user(factories.workspace("Other"), Role.ADMIN, "outsider")
    return found


@pytest.fixture
def conv(ws) -> Conversation:
    """A conversation of ``ws`` with 3 members, 12 messages and 6 insights (modules that need
    another shape define their own ``conv``)."""
    return factories.conversation(ws, members=3, messages=12, insights=6)


@pytest.fixture
def submit_settings(settings, tmp_path):
    """Recordings submitted in a test go to a temporary MEDIA_ROOT; webhooks have a public
    address. Modules that submit use it with ``pytest.mark.usefixtures``."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PUBLIC_BASE_URL = "https://portal.example.org"
    return settings


@pytest.fixture
def symbl(ws) -> ProviderAccount:
    """A Symbl account of ``ws`` with its secrets set."""
    return make_account(ws)


def bearer(user, name: str = "test key") -> dict[str, str]:
    """Headers authenticating as ``user`` with a new API key."""
    _key, raw = api_key_create(user=user, name=name)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def post(client, name: str, args: list, body, auth):
    """POST ``body`` as JSON to the API URL ``api:<name>`` with ``args``, authenticated by the
    ``auth`` headers."""
    return client.post(
        reverse(f"api:{name}", args=args), body, content_type="application/json", **auth
    )


def ids_of(rows) -> list[str]:
    """The primary keys of ``rows`` as the API writes ids (strings)."""
    return [str(row.pk) for row in rows]


def speaker(conv, n: int) -> Member:
    """The member of ``conv`` still called "Speaker n"."""
    return conv.members.get(name=f"Speaker {n}")


class QueryCount(CaptureQueriesContext):
    """Capture queries; on a mismatch, the assertion shows the SQL (zulip style)."""

    def sql(self) -> str:
        return "\n".join(q["sql"] for q in self.captured_queries)


def count_queries(client, url: str, **headers) -> QueryCount:
    with QueryCount(connection) as ctx:
        response = client.get(url, **headers)
    assert response.status_code == 200, response.content
    return ctx
