"""Functions the end-to-end tests run as django-q2 tasks to look inside the cluster."""

from __future__ import annotations

import socket

from tests import netguard


def network_guard_installed() -> bool:
    """True when sockets of this worker process refuse connections beyond loopback."""
    return socket.socket.connect is netguard.guarded_connect and not netguard.is_loopback(
        "203.0.113.5"
    )
