"""Bearer API keys, and the session cookie (with CSRF) for the dashboard's own calls."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from rest_framework import authentication, exceptions

from diarization_portal.conversations.services.sharing import share_link_for_token

from .models import ApiKey, key_hash
from .throttling import check_auth_failures, record_auth_failure

# last_used_at is written at most once a minute per key, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <key>`` with a key from ``/account/api-keys/``; ``X-API-KEY:
    <key>`` works too (Symbl's older header, still sent by its Python SDK, vendor-apis.md §1).

    Neither header: not this scheme (``None``, the next class is tried). An unknown or revoked
    key, a malformed header, or the key of an inactive user: 401 ``authentication_failed`` with
    ``WWW-Authenticate: Bearer realm="api"``, counted against the client's address; once the
    address has used up ``API_AUTH_FAILURE_RATE``, every request with a key from it is 429
    ``throttled`` with ``Retry-After``, before the key is looked up.
    ``request.auth`` is the :class:`~.models.ApiKey`.
    """

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if header and header[0].lower() == self.keyword.lower().encode():
            check_auth_failures(request)
            if len(header) != 2:
                self._fail(request, "Invalid Authorization header: expected 'Bearer <key>'")
            try:
                raw = header[1].decode()
            except UnicodeDecodeError:
                self._fail(request, "Invalid API key")
        elif request.META.get("HTTP_X_API_KEY"):
            check_auth_failures(request)
            raw = request.META["HTTP_X_API_KEY"].strip()
        else:
            return None
        key = ApiKey.objects.select_related("user").filter(hashed_key=key_hash(raw)).first()
        if key is None or not key.is_active or not key.user.is_active:
            self._fail(request, "Invalid or revoked API key")
        now = timezone.now()
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
            key.last_used_at = now
        return key.user, key

    @staticmethod
    def _fail(request, message: str):
        """Count the failure against the client's address, then raise ``AuthenticationFailed``
        (``Throttled`` when the address is over its rate)."""
        record_auth_failure(request)
        raise exceptions.AuthenticationFailed(message)

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'


class ShareLinkAuthentication(authentication.BaseAuthentication):
    """``Authorization: Share <token>`` with the token of a conversation's share link (the part
    after ``/s/`` in the link): read-only access to that one conversation, without an account.

    Only views that say so (``share_link_readable``, see :mod:`.permissions`) accept it, and only
    for GET/HEAD/OPTIONS; it opens no other conversation (404). ``request.user`` is anonymous and
    ``request.auth`` the :class:`~diarization_portal.conversations.models.ShareLink`. An
    unknown or revoked token: 401, counted against the client's address like a bad API key.
    """

    keyword = "Share"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        check_auth_failures(request)
        if len(header) != 2:
            ApiKeyAuthentication._fail(
                request, "Invalid Authorization header: expected 'Share <token>'"
            )
        try:
            token = header[1].decode()
        except UnicodeDecodeError:
            ApiKeyAuthentication._fail(request, "Invalid share token")
        link = share_link_for_token(token)
        if link is None:
            ApiKeyAuthentication._fail(request, "Invalid or revoked share link")
        return AnonymousUser(), link

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'
