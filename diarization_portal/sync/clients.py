"""Build the vendor client of a :class:`~diarization_portal.sync.models.ProviderAccount`.

Symbl clients are cached per account (and per version of its secrets and URL) so that one
worker reuses its access token across tasks instead of asking for a new one per call
(vendor-apis.md 1.7: "cache one per app"). The other clients are cheap and built each time.

``settings.VENDOR_HTTP_TIMEOUT`` ((connect, read) seconds, or one number), when set, is the
timeout of every vendor call that sets none of its own (uploads keep their longer limits);
unset, the clients use :data:`providers.http.DEFAULT_TIMEOUT` (5 s to connect, 30 s to read).
Tests set it short to exercise vendor timeouts quickly.

Every client's session refuses to connect to non-public addresses (:mod:`providers.egress`)
except on the hosts of ``settings.VENDOR_EXTRA_HOSTS``, and an account whose base URL breaks
the rules of :meth:`ProviderAccount.endpoint_problem` (one saved before them) gets no client.
"""

from __future__ import annotations

import hashlib
import json
import threading

from django.conf import settings

from diarization_portal.conversations.models import Vendor
from providers.deepaffects import DeepAffectsClient
from providers.elevenlabs import ElevenLabsClient
from providers.http import VendorSession
from providers.phonexia import PhonexiaClient
from providers.symbl import SymblClient
from providers.types import ProviderError

from .models import ProviderAccount, extra_hosts

VendorClient = SymblClient | ElevenLabsClient | PhonexiaClient | DeepAffectsClient

_symbl_cache: dict[tuple[int, str], SymblClient] = {}
_lock = threading.Lock()


def client_for(account: ProviderAccount) -> VendorClient:
    """The vendor client for ``account``.

    Symbl: :class:`~providers.symbl.SymblClient` (``app_id``/``app_secret``, cached);
    ElevenLabs: :class:`~providers.elevenlabs.ElevenLabsClient` (``api_key``, region);
    Phonexia: :class:`~providers.phonexia.PhonexiaClient` (server URL, optional ``api_key``);
    DeepAffects: :class:`~providers.deepaffects.DeepAffectsClient` (``api_key``).

    Raises ``ProviderError(error_type="account_incomplete")`` (terminal) when a required
    secret or the Phonexia URL is missing; the message names the missing item, never a value.
    Raises ``ProviderError(error_type="endpoint_refused")`` (terminal) when the base URL is
    not one requests may go to (:meth:`ProviderAccount.endpoint_problem`).
    """
    missing = account.missing_secrets()
    if missing:
        raise ProviderError(
            f"{account}: missing {', '.join(missing)}; set it in the account settings",
            error_type="account_incomplete",
        )
    problem = account.endpoint_problem() if account.resolved_base_url else None
    if problem:
        raise ProviderError(
            f"{account}: base URL refused: {problem}", error_type="endpoint_refused"
        )
    base_url = account.resolved_base_url
    if account.vendor == Vendor.SYMBL:
        return _symbl(account, base_url)
    if account.vendor == Vendor.ELEVENLABS:
        return ElevenLabsClient(
            account.secret("api_key"), base_url=base_url, session=_session("ElevenLabs")
        )
    if account.vendor == Vendor.PHONEXIA:
        if not base_url:
            raise ProviderError(
                f"{account}: the Phonexia server URL is not set", error_type="account_incomplete"
            )
        return PhonexiaClient(
            base_url, api_key=account.secret("api_key") or None, session=_session("Phonexia")
        )
    if account.vendor == Vendor.DEEPAFFECTS:
        return DeepAffectsClient(
            account.secret("api_key"), base_url=base_url, session=_session("DeepAffects")
        )
    raise ProviderError(f"{account}: no client for vendor {account.vendor!r}", error_type="config")


def _session(vendor: str) -> VendorSession:
    """A session named ``vendor`` with ``settings.VENDOR_HTTP_TIMEOUT`` (when set) that may
    reach the hosts of ``settings.VENDOR_EXTRA_HOSTS`` besides public addresses."""
    timeout = getattr(settings, "VENDOR_HTTP_TIMEOUT", None)
    if timeout is None:
        return VendorSession(vendor, extra_hosts=extra_hosts())
    return VendorSession(vendor, timeout=timeout, extra_hosts=extra_hosts())


def clear_cache() -> None:
    """Forget cached clients (tests; after a credential change the key changes anyway)."""
    with _lock:
        _symbl_cache.clear()


def _symbl(account: ProviderAccount, base_url: str) -> SymblClient:
    timeout = getattr(settings, "VENDOR_HTTP_TIMEOUT", None)
    fingerprint = hashlib.sha256(
        json.dumps([account.secrets, base_url, timeout, extra_hosts()], sort_keys=True).encode()
    ).hexdigest()
    key = (account.pk, fingerprint)
    with _lock:
        client = _symbl_cache.get(key)
        if client is None:
            for stale in [k for k in _symbl_cache if k[0] == account.pk]:
                del _symbl_cache[stale]
            client = SymblClient(
                account.secret("app_id"),
                account.secret("app_secret"),
                base_url=base_url,
                session=_session("Symbl"),
            )
            _symbl_cache[key] = client
        return client
