"""The emulator's HTTP server: one loopback port, one mount per vendor, a request log, faults,
a clock thread for time-driven jobs and a sender for the vendors' webhooks."""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from providers.http import VendorSession

from .base import Request, Response, VendorState
from .datasets import Datasets
from .deepaffects import DeepAffects
from .elevenlabs import ElevenLabs
from .faults import GATE, HOLD, HTML_ERROR_PAGE, HTTP, MALFORMED, OUTCOME, TIMEOUT, Fault, FaultRule
from .faults import line_matches as _line_matches
from .phonexia import Phonexia
from .symbl import Symbl

logger = logging.getLogger(__name__)


@dataclass(eq=False)
class Delivery:
    """One webhook the emulator sent: where, what, and the answer (``status`` ``None`` and
    ``error`` set when the call failed)."""

    vendor: str
    url: str
    payload: Any
    headers: dict[str, str] = field(default_factory=dict)
    at: float = 0.0
    status: int | None = None
    error: str = ""
    done: threading.Event = field(default_factory=threading.Event, repr=False)


class VendorEmulator:
    """A real HTTP server on ``127.0.0.1`` (ephemeral port) answering as Symbl, ElevenLabs,
    Phonexia and DeepAffects do (vendor-apis.md sections 1-4), with job state machines.

    Each vendor is mounted under its name: point an account at :meth:`base_url`
    (``http://127.0.0.1:PORT/symbl``). The vendor objects (:attr:`symbl`, :attr:`elevenlabs`,
    :attr:`phonexia`, :attr:`deepaffects`) hold the state and settings (credentials,
    ``advance`` mode, results). Use as a context manager or call :meth:`start` and
    :meth:`stop`. ``datasets`` are the real recordings results are built from
    (:class:`~tests.emulator.datasets.Datasets`); ``tick`` is the clock thread's period in
    seconds.
    """

    VENDORS = ("symbl", "elevenlabs", "phonexia", "deepaffects")

    def __init__(self, datasets: Datasets | None = None, *, tick: float = 0.05) -> None:
        self.datasets = datasets or Datasets.load()
        self.tick_seconds = tick
        self._lock = threading.Lock()
        self._log: list[Request] = []
        self._rules: list[FaultRule] = []
        self.deliveries: list[Delivery] = []
        self.errors: list[str] = []
        self._stopping = threading.Event()
        self._outbox: queue.Queue[Delivery | None] = queue.Queue()
        self._server: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self.symbl = Symbl(self)
        self.elevenlabs = ElevenLabs(self)
        self.phonexia = Phonexia(self)
        self.deepaffects = DeepAffects(self)
        self.vendors: dict[str, VendorState] = {
            v.name: v for v in (self.symbl, self.elevenlabs, self.phonexia, self.deepaffects)
        }

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> VendorEmulator:
        """Bind ``127.0.0.1:0`` and serve in background threads. Returns self."""
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.emulator = self
        self._server = server
        for target, name in (
            (lambda: server.serve_forever(poll_interval=0.05), "emulator-http"),
            (self._clock, "emulator-clock"),
            (self._send_webhooks, "emulator-webhooks"),
        ):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Stop serving, let held requests go and end the threads (idempotent)."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        for rule in self._rules:
            rule.fault.release()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        self._outbox.put(None)
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> VendorEmulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def base_url(self, vendor: str) -> str:
        """The URL an account of ``vendor`` uses (the vendor's mount)."""
        if vendor not in self.vendors:
            raise KeyError(f"no emulated vendor {vendor!r}; choose from {', '.join(self.VENDORS)}")
        return f"{self.url}/{vendor}"

    #: Host names a vendor session must trust to reach the emulator (it is on loopback,
    #: which vendor sessions refuse otherwise: providers.egress).
    HOSTS = ("127.0.0.1",)

    def session(self, vendor: str, **kwargs: Any) -> VendorSession:
        """A :class:`~providers.http.VendorSession` named ``vendor`` that may reach the
        emulator (``kwargs`` as for the session: ``timeout``...)."""
        return VendorSession(vendor, extra_hosts=self.HOSTS, **kwargs)

    # -- faults and the request log ---------------------------------------------------------

    def inject(self, vendor: str, pattern: str, fault: Fault, *, times: int | None = 1) -> Fault:
        """Make the next ``times`` (``None``: all) ``vendor`` requests matching ``pattern``
        (``"GET /v1/job/*"``) meet ``fault``. Rules are tried in the order injected. Returns
        ``fault`` (wait on ``fault.arrived``; ``fault.release()`` a hold)."""
        if vendor not in self.vendors:
            raise KeyError(f"no emulated vendor {vendor!r}")
        with self._lock:
            self._rules.append(FaultRule(vendor, pattern, fault, times))
        return fault

    def clear_faults(self) -> None:
        """Forget every fault rule (held requests are let go)."""
        with self._lock:
            rules, self._rules = self._rules, []
        for rule in rules:
            rule.fault.release()

    def requests(self, vendor: str | None = None, pattern: str | None = None) -> list[Request]:
        """Recorded requests of ``vendor`` (None: all) matching ``pattern`` (None: all), in
        arrival order."""
        with self._lock:
            log = list(self._log)
        return [
            r
            for r in log
            if (vendor is None or r.vendor == vendor) and _line_matches(pattern, r.method, r.path)
        ]

    def wait_for(
        self, vendor: str, pattern: str, *, count: int = 1, timeout: float = 15.0
    ) -> list[Request]:
        """Wait until ``count`` requests matching ``pattern`` have been answered (or dropped);
        return them. Raises AssertionError with the request log after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            found = [r for r in self.requests(vendor, pattern) if r.status or r.fault]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"waited {timeout:g} s for {count} x {vendor} {pattern}, got {len(found)}\n"
                    + self.describe()
                )
            time.sleep(0.02)

    def describe(self) -> str:
        """The request log and the webhooks sent, one line each (for failure reports)."""
        lines = ["emulator requests:"] + [f"  {r.describe()}" for r in self.requests()]
        lines.append("emulator webhooks:")
        lines += [
            f"  {d.at:.3f} {d.vendor} POST {d.url} -> {d.status} {d.error}".rstrip()
            for d in list(self.deliveries)
        ]
        if self.errors:
            lines.append("emulator errors:")
            lines += [f"  {e}" for e in self.errors]
        return "\n".join(lines)

    # -- webhooks ---------------------------------------------------------------------------

    def deliver(
        self, vendor: str, url: str, payload: Any, headers: dict[str, str] | None = None
    ) -> Delivery:
        """Queue a webhook POST of JSON ``payload`` to ``url`` (sent by a background thread,
        never while a vendor lock is held). ``headers`` are added (signatures)."""
        delivery = Delivery(vendor, url, payload, dict(headers or {}))
        with self._lock:
            self.deliveries.append(delivery)
        self._outbox.put(delivery)
        return delivery

    def _send_webhooks(self) -> None:
        session = requests.Session()
        while True:
            delivery = self._outbox.get()
            if delivery is None:
                return
            delivery.at = time.monotonic()
            body = delivery.payload if isinstance(delivery.payload, bytes) else None
            try:
                answer = session.post(
                    delivery.url,
                    data=body,
                    json=None if body is not None else delivery.payload,
                    headers={"Content-Type": "application/json", **delivery.headers},
                    timeout=10,
                )
                delivery.status = answer.status_code
            except requests.RequestException as err:
                delivery.error = f"{type(err).__name__}: {err}"
            delivery.done.set()

    # -- serving ----------------------------------------------------------------------------

    def _clock(self) -> None:
        while not self._stopping.wait(self.tick_seconds):
            now = time.monotonic()
            for vendor in self.vendors.values():
                try:
                    with vendor.lock:
                        vendor.tick(now)
                except Exception as err:  # an emulator bug: keep serving, report it
                    logger.exception("emulator clock: %s", vendor.name)
                    self.errors.append(f"{vendor.name} tick: {type(err).__name__}: {err}")

    def _take_fault(self, request: Request) -> Fault | None:
        with self._lock:
            for rule in self._rules:
                if rule.matches(request.vendor, request.method, request.path):
                    return rule.use()
        return None

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        """Answer one request (called by the server's handler thread)."""
        split = urlsplit(handler.path)
        _, vendor, rest = (split.path + "/").split("/", 2)  # "/symbl/v1/job/x" -> symbl
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        request = Request(
            vendor=vendor,
            method=handler.command,
            path="/" + rest.rstrip("/") if rest.rstrip("/") else "/",
            query=parse_qs(split.query, keep_blank_values=True),
            headers=dict(handler.headers.items()),
            body=body,
        )
        with self._lock:
            self._log.append(request)
        state = self.vendors.get(vendor)
        if state is None:
            self._send(handler, request, Response(404, {"message": f"no vendor {vendor!r}"}))
            return
        fault = self._take_fault(request)
        if fault is not None:
            request.fault = fault.kind
        if fault is not None and fault.kind in (TIMEOUT, HOLD):
            limit = fault.seconds if fault.kind == TIMEOUT else None
            self._wait(fault, limit)
            return  # the connection closes without an answer
        if fault is not None and fault.kind == GATE:
            self._wait(fault, None)
        if fault is not None and fault.kind == HTTP:
            response = self._http_fault(state, fault)
        elif fault is not None and fault.kind == MALFORMED and fault.style == "html":
            response = Response(fault.status, HTML_ERROR_PAGE, content_type="text/html")
        else:
            if fault is not None and fault.kind == OUTCOME:
                request.outcome = fault.end_state
            response = self._dispatch(state, request)
            if fault is not None and fault.kind == MALFORMED:
                encoded = response.encode()
                response.raw = encoded[: max(1, len(encoded) // 2)]
        self._send(handler, request, response)

    def _dispatch(self, state: VendorState, request: Request) -> Response:
        try:
            return state.dispatch(request)
        except Exception as err:  # an emulator bug: answer 500 and report it
            logger.exception("emulator %s %s", state.name, request.line)
            self.errors.append(f"{state.name} {request.line}: {type(err).__name__}: {err}")
            return state.error(500, f"emulator error: {type(err).__name__}")

    @staticmethod
    def _http_fault(state: VendorState, fault: Fault) -> Response:
        if fault.body is not None:
            response = Response(fault.status, fault.body)
            if isinstance(fault.body, str):
                response.content_type = "text/plain"
            if fault.retry_after is not None:
                response.headers["Retry-After"] = f"{fault.retry_after:g}"
        else:
            response = state.error(fault.status, fault.message, retry_after=fault.retry_after)
        response.headers.update(fault.headers)
        return response

    def _wait(self, fault: Fault, limit: float | None) -> None:
        deadline = None if limit is None else time.monotonic() + limit
        while not fault.released.is_set() and not self._stopping.is_set():
            if deadline is not None and time.monotonic() >= deadline:
                return
            fault.released.wait(0.05)

    def _send(self, handler: BaseHTTPRequestHandler, request: Request, response: Response) -> None:
        data = response.encode()
        request.status = response.status
        try:
            handler.send_response(response.status)
            if data:
                handler.send_header("Content-Type", response.content_type)
            handler.send_header("Content-Length", str(len(data)))
            for name, value in response.headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            if data and request.method != "HEAD":
                handler.wfile.write(data)
        except OSError:  # the client went away (a killed worker)
            request.status = None


class _Handler(BaseHTTPRequestHandler):
    """Hands every request to :meth:`VendorEmulator.handle`; HTTP/1.0, one request per
    connection, no console logging."""

    server_version = "VendorEmulator/1.0"

    def _handle(self) -> None:
        self.server.emulator.handle(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

    def log_message(self, format: str, *args) -> None:
        logger.debug("emulator: " + format, *args)
