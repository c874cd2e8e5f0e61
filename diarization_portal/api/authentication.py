"""Bearer API keys, and the session cookie (with CSRF) for the dashboard's own calls."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions

from .models import ApiKey, key_hash

# last_used_at is written at most once a minute per key, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <key>`` with a key from ``/account/api-keys/``; ``X-API-KEY:
    <key>`` works too (Symbl's older header, still sent by its Python SDK, vendor-apis.md §1).

    Neither header: not this scheme (``None``, the next class is tried). An unknown or revoked
    key, or the key of an inactive user: 401
    ``authentication_failed`` with ``WWW-Authenticate: Bearer realm="api"``.
    ``request.auth`` is the :class:`~.models.ApiKey`.
    """

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if header and header[0].lower() == self.keyword.lower().encode():
            if len(header) != 2:
                raise exceptions.AuthenticationFailed(
                    "Invalid Authorization header: expected 'Bearer <key>'"
                )
            try:
                raw = header[1].decode()
            except UnicodeDecodeError as exc:
                raise exceptions.AuthenticationFailed("Invalid API key") from exc
        elif request.META.get("HTTP_X_API_KEY"):
            raw = request.META["HTTP_X_API_KEY"].strip()
        else:
            return None
        key = ApiKey.objects.select_related("user").filter(hashed_key=key_hash(raw)).first()
        if key is None or not key.is_active or not key.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key")
        now = timezone.now()
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
            key.last_used_at = now
        return key.user, key

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'
