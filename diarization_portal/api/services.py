"""API key services: create and revoke."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from .models import PREFIX_LENGTH, ApiKey, key_hash, new_raw_key


@transaction.atomic
def api_key_create(*, user, name: str) -> tuple[ApiKey, str]:
    """Create a key called ``name`` for ``user``. Returns ``(key, full_key)``; the full key is
    not stored anywhere and cannot be shown again. Raises ``ValueError`` for an empty name."""
    name = (name or "").strip()
    if not name:
        raise ValueError("a key needs a name")
    raw = new_raw_key()
    key = ApiKey.objects.create(
        user=user, name=name[:100], prefix=raw[:PREFIX_LENGTH], hashed_key=key_hash(raw)
    )
    return key, raw


@transaction.atomic
def api_key_revoke(*, key: ApiKey) -> ApiKey:
    """Revoke ``key`` (idempotent: a revoked key keeps its first revocation time)."""
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    key.refresh_from_db(fields=["revoked_at"])
    return key
