"""The network guard of the test suite: socket connects beyond loopback fail (zulip-style).

``tests/conftest.py`` installs it around every test; the django-q2 cluster that the end-to-end
tests start installs it for its whole life (``tests/e2e/cluster_settings.py``).
"""

from __future__ import annotations

import ipaddress
import socket


class NetworkBlocked(OSError):
    """Raised when a test tries to open a connection beyond loopback."""


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host in {"localhost", "localhost.localdomain"}:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _check(sock: socket.socket, address) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(str(address[0])):
        raise NetworkBlocked(f"tests may not connect to {address[0]!r}: only loopback is allowed")


def guarded_connect(self, address):
    """``socket.connect`` that refuses non-loopback addresses."""
    _check(self, address)
    return _real_connect(self, address)


def guarded_connect_ex(self, address):
    """``socket.connect_ex`` that refuses non-loopback addresses."""
    _check(self, address)
    return _real_connect_ex(self, address)


def install() -> None:
    """Guard every socket of this process (and of processes forked from it)."""
    socket.socket.connect = guarded_connect
    socket.socket.connect_ex = guarded_connect_ex
