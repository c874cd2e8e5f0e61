"""One request rate per API key, or per user for session calls (settings
``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api"]``, env ``API_THROTTLE_RATE``)."""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from .models import ApiKey


class ApiKeyRateThrottle(SimpleRateThrottle):
    """Counts requests per API key (``key:<id>``), per user for session calls (``user:<id>``)
    and per client address otherwise. Over the rate: 429 ``throttled`` with ``Retry-After``
    (seconds). The rate is read from the settings on every request, so tests can override it.
    """

    scope = "api"

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view) -> str:
        if isinstance(request.auth, ApiKey):
            ident = f"key:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"addr:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
