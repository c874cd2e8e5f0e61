"""The one HTTP helper every vendor call goes through (DESIGN.md section 1).

:class:`VendorSession` wraps :class:`requests.Session`. Each request gets a timeout and a
``User-Agent: diarization-portal/<version>`` header, and each failure becomes a
:class:`~providers.types.ProviderError` (vendor-apis.md 1.6, 2.4, 3.1 and 4.3):

* HTTP 408, 429 and 5xx: ``retryable=True``. ``retry_after`` (seconds) comes from
  ``retry-after-ms``, then ``Retry-After`` (seconds or an HTTP-date), then ``x-ratelimit-reset``
  (UTC epoch seconds). It is never negative.
* Any other 4xx: terminal, with the vendor's own message taken from the body (see
  :func:`error_detail`).
* Timeouts (``error_type="timeout"``) and connection errors (``"connection"``): retryable.
* A body that should be JSON but is not: :func:`json` raises ``error_type="malformed_body"``,
  retryable.

``error_type`` is ``"http_<status>"`` for HTTP errors. Messages name the vendor, method and
URL, and carry the vendor's own message from a JSON error body (truncated), never a raw body:
an HTML page or a foreign service's answer is described by its status and content type only.
Secrets are redacted from them: the values the session was told about, plus secret-looking
query parameters (``apikey=``, ``token=``, ``X-Amz-Signature=``...), URL-valued parameters
(webhook URLs carry per-job tokens) and ``Bearer`` tokens. Exceptions are raised ``from None``,
so the original ``requests`` error, whose text holds the raw URL, is never chained.

Where requests go (:mod:`providers.egress`): each connection checks the addresses its host
resolves to and refuses loopback, private, link-local, metadata and other non-public ones
(``error_type="address_refused"``, terminal) unless the host is among the session's
``extra_hosts``. Redirects are followed only to the same scheme, host and port, and only for
``GET``/``HEAD``; any other redirect is ``error_type="redirect_refused"``, terminal.
"""

from __future__ import annotations

import json as _json
import logging
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping
from email.utils import parsedate_to_datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

import requests

from providers.egress import AddressRefused, PeerCheckingAdapter, host_set
from providers.types import ProviderError

logger = logging.getLogger(__name__)

try:
    __version__ = version("diarization-portal")
except PackageNotFoundError:  # running from a source checkout
    __version__ = "0.1.0"

USER_AGENT = f"diarization-portal/{__version__}"
#: (connect, read) seconds used when a caller gives no timeout.
DEFAULT_TIMEOUT = (5, 30)
#: HTTP statuses worth retrying besides 5xx.
RETRYABLE_STATUSES = frozenset({408, 429})
REDACTED = "***"

_SECRET_NAMES = frozenset(
    {
        "apikey", "api_key", "api-key", "xi-api-key", "key", "token", "access_token",
        "accesstoken", "auth", "authorization", "secret", "appsecret", "app_secret",
        "client_secret", "password", "signature", "sig", "x-amz-signature", "x-amz-credential",
        "x-amz-security-token", "x-goog-signature", "x-goog-credential",
    }
)  # fmt: skip
_SECRET_SUFFIXES = ("token", "secret", "signature", "password", "apikey", "api_key")
_SECRET_PARAM = re.compile(r"(?i)\b([\w-]+)=([^&\s#\"',;)]+)")
_SECRET_JSON = re.compile(r'(?i)("(?:accessToken|appSecret|apiKey|api_key|token)"\s*:\s*")[^"]*')
_BEARER = re.compile(r"(?i)\b(bearer\s+)[\w.~+/=-]+")
_SNIPPET = 200
#: Longest vendor message kept from an error body (characters).
DETAIL_LIMIT = 300
#: Same-origin redirects followed for one GET or HEAD.
MAX_REDIRECTS = 5


def is_secret_name(name: str) -> bool:
    """True when a query or form parameter called ``name`` carries a credential."""
    lowered = name.lower()
    return lowered in _SECRET_NAMES or lowered.endswith(_SECRET_SUFFIXES)


def _secret_pair(name: str, value: str) -> bool:
    return is_secret_name(name) or "://" in value or "%3a%2f%2f" in value.lower()


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Return ``text`` with credentials replaced by ``***``.

    Removes each value of ``secrets`` (raw and URL-encoded), the values of secret-named
    ``name=value`` pairs (:func:`is_secret_name`) and of URL-valued ones,
    ``"accessToken": "..."``-style JSON fields and ``Bearer <token>``.
    """
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, REDACTED).replace(quote(secret, safe=""), REDACTED)
    text = _SECRET_PARAM.sub(
        lambda m: f"{m[1]}={REDACTED}" if _secret_pair(m[1], m[2]) else m[0], text
    )
    text = _SECRET_JSON.sub(lambda m: m[1] + REDACTED, text)
    return _BEARER.sub(lambda m: m[1] + REDACTED, text)


def redact_url(url: str, secrets: Iterable[str] = ()) -> str:
    """Return ``url`` safe to show: no user info, no fragment, and ``***`` for the values of
    secret-named query parameters and of URL-valued ones (webhook URLs hold per-job tokens)."""
    try:
        parts = urlsplit(url)
        query = [
            (name, REDACTED if is_secret_name(name) or "://" in value else value)
            for name, value in parse_qsl(parts.query, keep_blank_values=True)
        ]
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        url = urlunsplit((parts.scheme, netloc, parts.path, urlencode(query, safe="*"), ""))
    except ValueError:
        pass
    return redact(url, secrets)


def retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait before retrying, from response ``headers``, or ``None`` if not given.

    Reads, in order: ``retry-after-ms`` (milliseconds), ``Retry-After`` (seconds, or an
    HTTP-date) and ``x-ratelimit-reset`` (UTC epoch seconds). Dates are compared with ``now``
    (epoch seconds, default :func:`time.time`). Never negative; unreadable values are skipped.
    Follows the ElevenLabs SDK retry rules (vendor-apis.md 2.4) and Phonexia's 429 headers (3.1).
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    now = time.time() if now is None else now
    millis = _number(lowered.get("retry-after-ms"))
    if millis is not None:
        return max(0.0, millis / 1000)
    value = lowered.get("retry-after")
    if value:
        seconds = _number(value)
        if seconds is not None:
            return max(0.0, seconds)
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - now)
        except (TypeError, ValueError, IndexError):
            pass
    reset = _number(lowered.get("x-ratelimit-reset"))
    if reset is not None:
        return max(0.0, reset - now)
    return None


def error_detail(body: Any) -> str | None:
    """The vendor's error message from a decoded error body, or ``None``.

    Shapes read (vendor-apis.md 1.6, 2.4, 3.2):

    * ElevenLabs 422 ``{"detail": [{"loc": ["body", "x", 0], "msg": "..."}]}`` ->
      ``"body.x.0: ..."`` (items joined with ``"; "``);
    * ElevenLabs ``{"detail": {"message", "code" or legacy "status", "param"?}}`` ->
      ``"message (code, param keyterms)"``;
    * Phonexia ``{"error": {"type", "message", "detail"?: [{"location", "message"}]}}`` ->
      ``"type: message (0.file: ...)"``;
    * Symbl and others ``{"message": "..."}`` (also ``msg``, ``error_description``, a string
      ``error`` or ``detail``).
    """
    if isinstance(body, str):
        return _squash(body) or None
    if not isinstance(body, Mapping):
        return None
    detail = body.get("detail")
    if isinstance(detail, list) and detail:
        return _validation_items(detail)
    if isinstance(detail, Mapping):
        message = _text(detail.get("message")) or _text(detail.get("msg"))
        code = _text(detail.get("code")) or _text(detail.get("status"))
        extras = [e for e in (code, f"param {detail['param']}" if detail.get("param") else "") if e]
        if message or extras:
            suffix = f" ({', '.join(extras)})" if extras else ""
            return f"{message or 'error'}{suffix}"
    error = body.get("error")
    if isinstance(error, Mapping):
        kind, message = _text(error.get("type")), _text(error.get("message"))
        text = ": ".join(p for p in (kind, message) if p)
        items = error.get("detail")
        if isinstance(items, list) and items:
            text = f"{text} ({_validation_items(items)})" if text else _validation_items(items)
        if text:
            return text
    for key in ("message", "msg", "error_description", "error", "detail", "title"):
        text = _text(body.get(key))
        if text:
            return text
    return None


def json(response: requests.Response, *, expect: type | tuple[type, ...] = dict) -> Any:
    """Decode ``response`` as JSON of type ``expect`` (a dict by default).

    Raises ``ProviderError(error_type="malformed_body", retryable=True, status=...)`` when
    the body is not JSON or not of that type (an HTML error page from a proxy, a truncated
    body); the message gives the status, content type and size, never the body itself.
    """
    clean = getattr(response, "_redact", redact)
    method = response.request.method if response.request else "GET"
    where = f"{getattr(response, '_vendor', 'vendor')} {method} {clean(redact_url(response.url))}"
    try:
        data = response.json()
    except ValueError:
        kind = _squash(response.headers.get("Content-Type", "no content type"))[:60]
        raise ProviderError(
            f"{where}: expected JSON (HTTP {response.status_code}, {kind}), got "
            f"{len(response.content)} bytes that are not JSON (not shown)",
            retryable=True,
            error_type="malformed_body",
            status=response.status_code,
        ) from None
    if expect and not isinstance(data, expect):
        raise ProviderError(
            f"{where}: expected a JSON {_kind_name(expect)}, got {type(data).__name__}",
            retryable=True,
            error_type="malformed_body",
            status=response.status_code,
        )
    return data


def quote_path_part(value: str | int) -> str:
    """``value`` as one percent-encoded URL path part (``/`` included, so ``"a/b c"`` ->
    ``"a%2Fb%20c"``): a vendor id placed in a request path. ValueError if empty."""
    text = str(value)
    if not text:
        raise ValueError("an id is required")
    return quote(text, safe="")


def vendor_session(vendor: str, session: VendorSession | requests.Session | None) -> VendorSession:
    """``session`` when it is already a :class:`VendorSession`, else a new one named
    ``vendor`` wrapping ``session`` (a :class:`requests.Session` or ``None``)."""
    if isinstance(session, VendorSession):
        return session
    return VendorSession(vendor, session=session)


class VendorSession:
    """A :class:`requests.Session` wrapper shared by the vendor clients.

    ``vendor`` names the vendor in messages (``"Symbl"``). ``headers`` are sent on every
    request (auth headers belong here). ``secrets`` (API keys, app secrets) are redacted from
    every message; add short-lived ones (access tokens) with :meth:`add_secret`. ``timeout``
    ((connect, read) seconds or one number) applies to every request that does not set its own
    (uploads do). ``clock`` is the wall clock (epoch seconds) used for HTTP-date and epoch retry
    headers. ``extra_hosts`` are host names or IP literals the deployment trusts: requests to
    them skip the address check (:class:`~providers.egress.PeerCheckingAdapter`, mounted on
    ``session`` for ``http://`` and ``https://``, a given session included).
    """

    def __init__(
        self,
        vendor: str,
        *,
        session: requests.Session | None = None,
        headers: Mapping[str, str] | None = None,
        secrets: Iterable[str] = (),
        timeout: tuple[float, float] | float = DEFAULT_TIMEOUT,
        clock: Callable[[], float] = time.time,
        extra_hosts: Iterable[str] = (),
    ) -> None:
        self.vendor = vendor
        self.session = session if session is not None else requests.Session()
        self.extra_hosts = host_set(extra_hosts)
        adapter = PeerCheckingAdapter(extra_hosts=self.extra_hosts)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.headers = dict(headers or {})
        self.timeout = timeout
        self.clock = clock
        self._secrets: set[str] = {s for s in secrets if s}

    def add_secret(self, value: str | None) -> None:
        """Redact ``value`` from every later message (e.g. a fresh access token)."""
        if value:
            self._secrets.add(value)

    def redact(self, text: str) -> str:
        """``text`` with this session's secrets and secret-looking values replaced."""
        return redact(text, self._secrets)

    def request(
        self,
        method: str,
        url: str,
        *,
        timeout: tuple[float, float] | float | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """Send one request and return the response when its status is below 400.

        ``timeout`` is (connect, read) seconds or one number; ``None`` (the default) means the
        session's ``timeout`` (:data:`DEFAULT_TIMEOUT` unless the session was built with
        another), so a request never waits forever. ``kwargs`` go to
        :meth:`requests.Session.request` (``params``, ``json``, ``data``, ``files``,
        ``headers``...); ``headers`` are merged over the session headers. Raises
        :class:`~providers.types.ProviderError` as described in the module docstring.
        """
        timeout = self.timeout if timeout is None else timeout
        headers = {"User-Agent": USER_AGENT, **self.headers, **(kwargs.pop("headers", None) or {})}
        where = (
            f"{self.vendor} {method.upper()} {redact_url(_full_url(url, kwargs), self._secrets)}"
        )
        started = time.monotonic()
        try:
            response = self._send(method, url, timeout=timeout, headers=headers, **kwargs)
        except AddressRefused as exc:
            raise self._failure(f"{where}: refused ({exc})", "address_refused", False) from None
        except requests.Timeout as exc:
            phase = "connect" if isinstance(exc, requests.ConnectTimeout) else "read"
            raise self._failure(
                f"{where}: timed out ({phase}, limit {_seconds(timeout)})", "timeout", True
            ) from None
        except (
            requests.ConnectionError,
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError,
        ) as exc:
            reason = self.redact(_squash(str(exc)))[:_SNIPPET]
            raise self._failure(
                f"{where}: connection failed ({type(exc).__name__}: {reason})", "connection", True
            ) from None
        except requests.RequestException as exc:
            reason = self.redact(_squash(str(exc)))[:_SNIPPET]
            raise self._failure(
                f"{where}: request failed ({type(exc).__name__}: {reason})", "request_error", False
            ) from None
        elapsed = time.monotonic() - started
        response._vendor, response._redact = self.vendor, self.redact  # for json()
        logger.debug("%s -> %s in %.2f s", where, response.status_code, elapsed)
        if response.is_redirect:
            target = redact_url(response.headers.get("Location", ""), self._secrets)
            raise self._failure(
                f"{where}: HTTP {response.status_code} redirect to {target or 'nowhere'} not "
                "followed (only GET and HEAD follow redirects, on the same host)",
                "redirect_refused",
                False,
            )
        if response.status_code < 400:
            return response
        raise self.error_for(response, where)

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """``session.request`` without its own redirect handling: a redirect of a GET or
        HEAD to the same scheme, host and port is followed (at most :data:`MAX_REDIRECTS`);
        any other comes back as it is."""
        kwargs["allow_redirects"] = False
        response = self.session.request(method, url, **kwargs)
        for _ in range(MAX_REDIRECTS):
            if not response.is_redirect or method.upper() not in ("GET", "HEAD"):
                return response
            target = urljoin(response.url, response.headers["Location"])
            if not _same_origin(response.url, target):
                return response
            response.close()
            kwargs.pop("params", None)  # the Location carries its own query
            response = self.session.request(method, target, **kwargs)
        return response

    def error_for(self, response: requests.Response, where: str | None = None) -> ProviderError:
        """Build the :class:`ProviderError` for an error ``response`` (status >= 400)."""
        status = response.status_code
        if where is None:
            method = response.request.method if response.request else "GET"
            where = f"{self.vendor} {method} {redact_url(response.url, self._secrets)}"
        retryable = status in RETRYABLE_STATUSES or status >= 500
        wait = retry_after(response.headers, now=self.clock()) if retryable else None
        detail = _body_detail(response) or response.reason or "no details"
        if len(detail) > DETAIL_LIMIT:
            detail = detail[: DETAIL_LIMIT - 1] + "…"
        message = self.redact(f"{where}: HTTP {status}: {detail}")[:1000]
        logger.info("%s", message)
        return ProviderError(
            message,
            retryable=retryable,
            retry_after=wait,
            error_type=f"http_{status}",
            status=status,
        )

    def _failure(self, message: str, error_type: str, retryable: bool) -> ProviderError:
        message = self.redact(message)
        logger.info("%s", message)
        return ProviderError(message, retryable=retryable, error_type=error_type)


def _full_url(url: str, kwargs: Mapping[str, Any]) -> str:
    """``url`` with the ``params`` keyword merged in, as requests will send it."""
    if not kwargs.get("params"):
        return url
    try:
        return requests.Request("GET", url, params=kwargs["params"]).prepare().url or url
    except requests.RequestException:
        return url


def _body_detail(response: requests.Response) -> str | None:
    """The vendor's message from a JSON error body (:func:`error_detail`). A body that is
    not JSON (an HTML error page, a foreign service's answer) is never quoted: the reason
    phrase and the content type stand for it."""
    try:
        body = response.json()
    except ValueError:
        if not response.content:
            return None
        kind = response.headers.get("Content-Type", "").split(";")[0].strip() or "unknown type"
        reason = response.reason or "error"
        return f"{reason} ({_squash(kind)[:60]} body, {len(response.content)} bytes, not shown)"
    return error_detail(body) if not isinstance(body, str) else None


def _same_origin(first: str, second: str) -> bool:
    a, b = urlsplit(first), urlsplit(second)
    try:
        return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)
    except ValueError:
        return False


def _validation_items(items: list) -> str:
    rendered = []
    for item in items:
        if not isinstance(item, Mapping):
            rendered.append(_squash(str(item)))
            continue
        loc = item.get("loc", item.get("location"))
        path = ".".join(str(p) for p in loc) if isinstance(loc, list | tuple) else _text(loc)
        message = _text(item.get("msg")) or _text(item.get("message")) or "invalid"
        rendered.append(f"{path}: {message}" if path else message)
    return "; ".join(rendered)


def _text(value: Any) -> str:
    return _squash(value) if isinstance(value, str) else ""


def _squash(text: str) -> str:
    return " ".join(text.split())


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _seconds(timeout: Any) -> str:
    if isinstance(timeout, tuple):
        return f"connect {timeout[0]} s, read {timeout[1]} s"
    return f"{timeout} s"


def _kind_name(expect: type | tuple[type, ...]) -> str:
    kinds = expect if isinstance(expect, tuple) else (expect,)
    names = {dict: "object", list: "array", str: "string"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def dumps(value: Any) -> str:
    """Compact JSON text (for JSON-valued form fields such as Phonexia ``config``)."""
    return _json.dumps(value, separators=(",", ":"), ensure_ascii=False)
