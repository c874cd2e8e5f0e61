"""Where vendor requests may go: public vendor hosts over HTTPS, never the portal's own network.

A provider account's base URL is typed by a workspace admin, so it is untrusted input: pointed
at ``127.0.0.1``, ``10.x`` or the cloud metadata address, a vendor call would read internal
services and hand their answers back (server-side request forgery). Two checks stop that:

* :func:`base_url_problem` at save time: ``https`` on one of the vendor's public hosts (the
  regional hosts of vendor-apis.md), unless the deployment lists the host among its extra
  hosts (a self-hosted Phonexia server, a proxy, the test emulator); an IP literal in a
  non-public range is refused with its range named.
* :class:`PeerCheckingAdapter` at connect time: the host is resolved, every address is checked
  with :func:`address_problem`, and the socket connects to an address that was checked (a DNS
  answer that changes between the check and the connect, "DNS rebinding", cannot slip
  through). Hosts of the extra-hosts list connect without the check.

This module never imports Django: the caller passes the allow-lists in.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NameResolutionError
from urllib3.util import connection as _connection

#: Addresses refused whatever range they fall in (cloud metadata services).
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class AddressRefused(Exception):
    """A vendor host resolved to an address outside the public internet; ``str(err)`` names
    the host and the address. Not an :class:`OSError`, so that no HTTP layer retries it."""


def normalise_host(host: str) -> str:
    """``host`` in lower case without IPv6 brackets or a trailing dot."""
    return host.strip().strip("[]").rstrip(".").lower()


def host_set(hosts: Iterable[str]) -> frozenset[str]:
    """The hosts of ``hosts`` normalised (:func:`normalise_host`), blanks dropped."""
    return frozenset(h for h in (normalise_host(x) for x in hosts) if h)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_problem(address: str) -> str | None:
    """Why ``address`` (an IPv4 or IPv6 literal) may not be connected to, or ``None`` when
    it is a public unicast address.

    Refused: loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local
    (169.254/16, fe80::/10), multicast, reserved, unspecified, shared (100.64/10) and the
    metadata addresses (169.254.169.254, fd00:ec2::254); IPv4-mapped, 6to4 and NAT64 IPv6
    addresses are judged by the IPv4 address they carry. Raises ValueError when ``address``
    is not an IP literal.
    """
    ip = ipaddress.ip_address(normalise_host(address).split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            problem = address_problem(str(inner))
            return f"{problem} (inside {ip})" if problem else None
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    for test, name in (
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_unspecified", "an unspecified address"),
        ("is_reserved", "a reserved address"),
        ("is_private", "a private address"),
    ):
        if getattr(ip, test):
            return name
    if not ip.is_global:
        return "not a public address"
    return None


def is_ip_literal(host: str) -> bool:
    """True when ``host`` is an IPv4 or IPv6 literal (brackets allowed)."""
    try:
        ipaddress.ip_address(normalise_host(host).split("%")[0])
    except ValueError:
        return False
    return True


def base_url_problem(
    url: str, *, vendor_hosts: Iterable[str], extra_hosts: Iterable[str] = ()
) -> str | None:
    """Why ``url`` may not be a vendor base URL, or ``None`` when it may.

    Allowed: ``https://<host>[:443][/path]`` with ``host`` among ``vendor_hosts`` (the vendor's
    public hosts), or ``http(s)://<host>[:port][/path]`` with ``host`` among ``extra_hosts``
    (hosts the deployment trusts). Never: user info (``user:pass@``), a query or a fragment,
    an IP literal outside ``extra_hosts`` (the message names its range). Host names compare
    case-insensitively. The message is meant for the person who typed the URL.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return "Enter a valid URL."
    host = normalise_host(parts.hostname or "")
    if parts.scheme not in ("http", "https") or not host:
        return "Enter an https:// URL."
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        return "A base URL cannot carry a user name or password."
    if parts.query or parts.fragment or url.strip().endswith(("?", "#")):
        return "A base URL cannot have a query or a fragment."
    if host in host_set(extra_hosts):
        return None
    vendor = host_set(vendor_hosts)
    if is_ip_literal(host):
        problem = address_problem(host)
        if problem:
            return f"{host} is {problem}: vendor requests only go to the public internet."
    if host not in vendor:
        listed = ", ".join(sorted(vendor)) or "none (self-hosted)"
        return (
            f"{host} is not a host of this vendor (public hosts: {listed}). Another host must "
            "be listed in the portal's VENDOR_EXTRA_HOSTS setting by its administrator."
        )
    if parts.scheme != "https":
        return "Vendor hosts are reached over https:// only."
    if port not in (None, 443):
        return f"Vendor hosts are reached on the HTTPS port (443), not {port}."
    return None


def checked_addresses(host: str, port: int, family: int = socket.AF_UNSPEC) -> list[tuple]:
    """``getaddrinfo`` of ``host``:``port`` (stream sockets) after checking every address.

    Returns the ``(family, type, proto, canonname, sockaddr)`` tuples. Raises
    :class:`AddressRefused` when any address is not public (:func:`address_problem`): one
    internal answer among public ones is enough to refuse, as a resolver may rotate them.
    Raises :class:`socket.gaierror` when the name does not resolve.
    """
    infos = socket.getaddrinfo(normalise_host(host), port, family, socket.SOCK_STREAM)
    for info in infos:
        address = str(info[4][0])
        problem = address_problem(address)
        if problem:
            raise AddressRefused(
                f"{host} resolves to {address}, {problem}: vendor requests only go to the "
                "public internet"
            )
    return infos


class _PeerCheckingConnection:
    """Mixin for urllib3 connections: resolve, check, connect to a checked address."""

    extra_hosts: frozenset[str] = frozenset()

    def _new_conn(self) -> socket.socket:
        host = self._dns_host
        if normalise_host(host) in self.extra_hosts:
            return super()._new_conn()
        try:
            infos = checked_addresses(host, self.port, _connection.allowed_gai_family())
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        error: OSError | None = None
        for *_, sockaddr in infos:
            self._dns_host = sockaddr[0]  # connect to the address that was checked
            try:
                return super()._new_conn()
            except OSError as exc:
                error = exc
            finally:
                self._dns_host = host
        assert error is not None
        raise error


class PeerCheckingAdapter(HTTPAdapter):
    """A :class:`requests.adapters.HTTPAdapter` whose connections check their peer.

    Each new connection resolves its host and connects only when every address is public
    (:func:`checked_addresses`), to one of the addresses checked. Hosts in ``extra_hosts``
    (names or IP literals the deployment trusts) connect as usual. A refusal raises
    :class:`AddressRefused` out of ``send``. Requests through a proxy (``HTTPS_PROXY``) are
    not checked here: the proxy is the egress point then.
    """

    def __init__(self, *, extra_hosts: Iterable[str] = (), **kwargs) -> None:
        self.extra_hosts = host_set(extra_hosts)
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        attrs = {"extra_hosts": self.extra_hosts}
        http = type("CheckedHTTPConnection", (_PeerCheckingConnection, HTTPConnection), attrs)
        https = type("CheckedHTTPSConnection", (_PeerCheckingConnection, HTTPSConnection), attrs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("CheckedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http}),
            "https": type("CheckedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https}),
        }
