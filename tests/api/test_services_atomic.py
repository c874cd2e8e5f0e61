"""The API key services are atomic: creating or revoking a key is one write, which leaves
nothing when refused. Helpers: :mod:`tests.atomicity`."""

from __future__ import annotations

import pytest

from diarization_portal.api.models import ApiKey
from diarization_portal.api.services import api_key_create, api_key_revoke
from tests import factories
from tests.atomicity import half_way

pytestmark = pytest.mark.django_db(transaction=True)


def test_creating_and_revoking_a_key_leave_nothing_when_their_write_fails():
    user = factories.user()

    half_way(lambda: api_key_create(user=user, name="CRM sync"), nth=1)
    key, _ = api_key_create(user=user, name="CRM sync")

    half_way(lambda: api_key_revoke(key=key), nth=1)
    assert api_key_revoke(key=key).revoked_at is not None
    assert not ApiKey.objects.active().exists()
