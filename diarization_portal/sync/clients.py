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

from providers.deepaffects import DeepAffectsClient
from providers.elevenlabs import ElevenLabsClient
from providers.phonexia import PhonexiaClient
from providers.symbl import SymblClient
from providers.types import ProviderError

from .adapters import adapter_for, symbl
from .models import ProviderAccount

VendorClient = SymblClient | ElevenLabsClient | PhonexiaClient | DeepAffectsClient


def client_for(account: ProviderAccount) -> VendorClient:
    """The vendor client for ``account``, built by its adapter's ``client``.

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
    return adapter_for(account.vendor).client(account, account.resolved_base_url)


def clear_cache() -> None:
    """Forget cached clients (tests; after a credential change the key changes anyway)."""
    symbl.clear_cache()
