"""API keys: a user's Bearer tokens for the REST API, stored hashed."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models

KEY_PREFIX = "dpk_"
PREFIX_LENGTH = 12  # "dpk_" + 8 characters of the random part, shown in lists


def key_hash(raw: str) -> str:
    """SHA-256 (hex) of a full key. Keys carry 256 random bits, so a fast hash is enough."""
    return hashlib.sha256(raw.encode()).hexdigest()


def new_raw_key() -> str:
    """A new full key: ``dpk_`` followed by 43 URL-safe characters (256 random bits)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


class ApiKeyQuerySet(models.QuerySet):
    def active(self) -> ApiKeyQuerySet:
        """Keys that have not been revoked."""
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    """A named API key of one user. Only ``prefix`` (shown in lists) and the SHA-256 of the full
    key are stored; the full key is shown once, when it is created. A key acts as its user in
    every workspace the user belongs to, with the user's role there."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=PREFIX_LENGTH)
    hashed_key = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ThrottleWindow(models.Model):
    """The request count of one throttle key (``api:key:<id>``, ``api_auth_failure:addr:<ip>``…)
    in its current fixed window, when the cache cannot count across processes (no Redis):
    one row per key, counted with ``UPDATE … SET count = count + 1``
    (:mod:`diarization_portal.security.counters`)."""

    key = models.CharField(max_length=200, unique=True)
    window_start = models.BigIntegerField(
        db_index=True, help_text="Unix time (seconds) the window began"
    )
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "throttle window"

    def __str__(self) -> str:
        return f"{self.key}: {self.count} since {self.window_start}"
