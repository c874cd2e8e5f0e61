"""Fixtures for the emulator's own tests: a started emulator and a webhook receiver."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.emulator import Datasets, VendorEmulator


@pytest.fixture
def emulator(real_data):
    with VendorEmulator(Datasets.load(real_data)) as emu:
        yield emu


class Receiver:
    """A loopback HTTP server that answers 200 to every POST and keeps ``(path, headers,
    raw body)`` of each."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.calls.append((self.path, dict(self.headers.items()), body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def url(self, path: str = "/hook") -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def bodies(self) -> list:
        return [json.loads(body) for _, _, body in self.calls]

    def wait(self, count: int, timeout: float = 5.0) -> list:
        """Wait for ``count`` calls; return their JSON bodies."""
        deadline = time.monotonic() + timeout
        while len(self.calls) < count:
            assert time.monotonic() < deadline, f"got {len(self.calls)} of {count} webhooks"
            time.sleep(0.02)
        return self.bodies()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    hook = Receiver()
    yield hook
    hook.close()
