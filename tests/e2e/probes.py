"""Functions the end-to-end tests run as django-q2 tasks to look inside the clusters."""

from __future__ import annotations

import os
import socket

from tests import netguard


def network_guard_installed() -> bool:
    """True when sockets of this worker process refuse connections beyond loopback."""
    return socket.socket.connect is netguard.guarded_connect and not netguard.is_loopback(
        "203.0.113.5"
    )


def worker() -> tuple[int, bool]:
    """``(pid, network guard installed)`` of the worker process that runs this task."""
    return os.getpid(), network_guard_installed()
