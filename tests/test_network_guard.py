"""The autouse guard of tests/conftest.py: only loopback connections are allowed."""

import socket
import threading

import pytest

from tests.conftest import NetworkBlocked


def test_connections_beyond_loopback_fail():
    with pytest.raises(NetworkBlocked), socket.create_connection(("203.0.113.5", 80), timeout=1):
        pass


def test_loopback_connections_work():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    accepted = threading.Thread(target=lambda: server.accept()[0].close())
    accepted.start()
    with socket.create_connection(server.getsockname(), timeout=2):
        pass
    accepted.join(2)
    server.close()
