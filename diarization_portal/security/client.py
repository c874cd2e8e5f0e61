"""The client's address, read the same way by the login limits (django-axes) and the API
throttle.

``TRUSTED_PROXY_COUNT`` (setting and env, default ``0``) is the number of reverse proxies in
front of gunicorn that each append the address they received the request from to
``X-Forwarded-For``. With ``0`` the address is ``REMOTE_ADDR`` and ``X-Forwarded-For`` is
ignored, since any client can send one. With ``N`` it is the ``N``-th address from the right of
``X-Forwarded-For`` (the one the outermost trusted proxy saw); a header with fewer entries than
that (a request that did not pass through every proxy) falls back to the leftmost entry, and
no header at all to ``REMOTE_ADDR``. Values a client wrote further left are never used.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    """The calling client's IP address as text (``"203.0.113.7"``), or None when the request
    carries none that parses as an IP address (django-axes records None as no address)."""
    count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    candidate = request.META.get("REMOTE_ADDR", "")
    if count > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if forwarded:
            candidate = forwarded[-count] if len(forwarded) >= count else forwarded[0]
    try:
        return str(ipaddress.ip_address(candidate.strip()))
    except ValueError:
        return None
