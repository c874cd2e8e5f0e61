"""One request rate per API key, or per user for session calls (settings
``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api"]``, env ``API_THROTTLE_RATE``), and a rate of
failed authentications per client address (``["api_auth_failure"]``, env
``API_AUTH_FAILURE_RATE``). Both count in fixed windows that count every request exactly once,
across processes and threads (:mod:`diarization_portal.security.counters`)."""

from __future__ import annotations

from rest_framework.exceptions import Throttled
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from diarization_portal.conversations.models import ShareLink
from diarization_portal.security import counters
from diarization_portal.security.client import client_address

from .models import ApiKey

AUTH_FAILURE_SCOPE = "api_auth_failure"


def _rate(scope: str) -> tuple[int, int] | None:
    """``(requests, period in seconds)`` of ``scope``'s rate, or None when it has none."""
    rate = api_settings.DEFAULT_THROTTLE_RATES.get(scope)
    if rate is None:
        return None
    return SimpleRateThrottle.parse_rate(None, rate)


class ApiKeyRateThrottle(SimpleRateThrottle):
    """Counts requests per API key (``key:<id>``), per share link (``share:<id>``), per user for
    session calls (``user:<id>``)
    and per client address otherwise (``addr:<ip>``, read as the login limits read it:
    ``TRUSTED_PROXY_COUNT``). Over the rate: 429 ``throttled`` with ``Retry-After`` (seconds
    until the window ends). Refused requests are counted too. The rate is read from the settings
    on every request, so tests can override it.
    """

    scope = "api"

    def __init__(self):
        self.retry_after = None

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request) -> str:
        return client_address(request) or "unknown"

    def get_cache_key(self, request, view) -> str:
        if isinstance(request.auth, ApiKey):
            ident = f"key:{request.auth.pk}"
        elif isinstance(request.auth, ShareLink):
            ident = f"share:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"addr:{self.get_ident(request)}"
        return f"{self.scope}:{ident}"

    def allow_request(self, request, view) -> bool:
        rate = _rate(self.scope)
        if rate is None:
            return True
        limit, period = rate
        count, self.retry_after = counters.hit(self.get_cache_key(request, view), period)
        return count <= limit

    def wait(self) -> float | None:
        return self.retry_after


def auth_failure_key(request) -> str:
    """The counter of failed authentications from the request's client address."""
    return f"{AUTH_FAILURE_SCOPE}:addr:{client_address(request) or 'unknown'}"


def check_auth_failures(request) -> None:
    """Refuse, before any key is looked up, a caller whose address has used up its failed
    authentications of the current window. Raises ``Throttled`` (429, ``Retry-After``)."""
    rate = _rate(AUTH_FAILURE_SCOPE)
    if rate is None:
        return
    limit, period = rate
    count, retry_after = counters.peek(auth_failure_key(request), period)
    if count >= limit:
        raise Throttled(wait=retry_after)


def record_auth_failure(request) -> None:
    """Count one failed authentication against the client address. Raises ``Throttled`` when
    it goes over the rate (so concurrent failures past the limit get 429, not 401)."""
    rate = _rate(AUTH_FAILURE_SCOPE)
    if rate is None:
        return
    limit, period = rate
    count, retry_after = counters.hit(auth_failure_key(request), period)
    if count > limit:
        raise Throttled(wait=retry_after)
