"""Faults the emulator injects into its answers, chosen by vendor, method and path.

A :class:`Fault` says what goes wrong; :class:`FaultRule` says which requests it hits
(``"GET /v1/job/*"``: a method and an :func:`fnmatch.fnmatchcase` pattern over the path under
the vendor's mount, without the query string) and how many times (``None``: every time).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

#: Fault kinds.
HTTP, TIMEOUT, HOLD, GATE = "http", "timeout", "hold", "gate"
MALFORMED, OUTCOME = "malformed", "outcome"

HTML_ERROR_PAGE = (
    "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    "<body><h1>502 Bad Gateway</h1><p>The upstream server sent an invalid response.</p>"
    "<hr><address>nginx</address></body></html>"
)


@dataclass(eq=False)
class Fault:
    """One kind of failure; build it with the class methods, not directly.

    ``arrived`` is set when a request meets the fault (tests wait on it, e.g. to kill a worker
    while the emulator holds its request); ``hits`` counts those requests.
    """

    kind: str
    status: int = 200
    retry_after: float | None = None
    body: object = None
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    style: str = ""
    end_state: str = ""
    message: str = ""
    arrived: threading.Event = field(default_factory=threading.Event, repr=False)
    released: threading.Event = field(default_factory=threading.Event, repr=False)
    hits: int = 0

    @classmethod
    def http(
        cls,
        status: int,
        *,
        retry_after: float | None = None,
        body: object = None,
        headers: dict[str, str] | None = None,
        message: str = "",
    ) -> Fault:
        """Answer HTTP ``status`` instead of doing the work. ``retry_after`` (seconds) is sent
        as ``Retry-After``; ``body`` (dict → JSON, str/bytes as is) replaces the vendor-shaped
        error body built from ``message``."""
        return cls(
            HTTP,
            status=status,
            retry_after=retry_after,
            body=body,
            headers=dict(headers or {}),
            message=message or f"emulated HTTP {status}",
        )

    @classmethod
    def timeout(cls, seconds: float) -> Fault:
        """Hold the connection ``seconds`` (longer than the client's read timeout), then close
        it without an answer. The request is not processed."""
        return cls(TIMEOUT, seconds=seconds)

    @classmethod
    def hold(cls) -> Fault:
        """Hold the connection until :meth:`release` or the emulator stops, then close it
        without an answer (a vendor that never answers; a worker killed meanwhile)."""
        return cls(HOLD)

    @classmethod
    def gate(cls) -> Fault:
        """Hold the request until :meth:`release` (or the emulator stops), then do the work
        and answer as usual: a slow vendor, for a test to look at what the portal shows while
        the call is in flight. Release it before the client's read timeout."""
        return cls(GATE)

    @classmethod
    def malformed(cls, style: str = "truncated", *, status: int = 200) -> Fault:
        """A body the client cannot read: ``"truncated"`` does the work and cuts the JSON
        answer in half; ``"html"`` answers a proxy's HTML error page with ``status`` and does
        no work."""
        if style not in ("truncated", "html"):
            raise ValueError(f"malformed style must be 'truncated' or 'html', not {style!r}")
        return cls(MALFORMED, style=style, status=status)

    @classmethod
    def outcome(cls, state: str, message: str = "") -> Fault:
        """The vendor job created by the request (a submit) ends in ``state`` instead of
        succeeding: Phonexia ``"rejected"``/``"failed"``, Symbl ``"failed"``, ElevenLabs PVC
        ``"failed"``, DeepAffects ``"silent"`` (no webhook ever). ``message`` is the vendor's
        error text where it has one."""
        return cls(OUTCOME, end_state=state, message=message)

    def release(self) -> None:
        """Let a held request go: a hold's connection is closed without an answer, a gate's
        request is answered."""
        self.released.set()


@dataclass(eq=False)
class FaultRule:
    """Apply ``fault`` to ``vendor`` requests matching ``pattern``, ``times`` times (None:
    always)."""

    vendor: str
    pattern: str
    fault: Fault
    times: int | None = 1

    def __post_init__(self) -> None:
        method, _, path = self.pattern.partition(" ")
        if not method or not path.startswith("/"):
            raise ValueError(f"pattern must look like 'GET /v1/job/*', not {self.pattern!r}")
        self.method, self.path = method.upper(), path

    def matches(self, vendor: str, method: str, path: str) -> bool:
        """True when this rule hits the request and has uses left."""
        if self.times is not None and self.times <= 0:
            return False
        return vendor == self.vendor and method == self.method and fnmatchcase(path, self.path)

    def use(self) -> Fault:
        """Count one use; return the fault."""
        if self.times is not None:
            self.times -= 1
        self.fault.hits += 1
        self.fault.arrived.set()
        return self.fault


def line_matches(pattern: str | None, method: str, path: str) -> bool:
    """True when ``"METHOD /glob"`` ``pattern`` (or ``None``: anything) matches the request."""
    if pattern is None:
        return True
    want_method, _, want_path = pattern.partition(" ")
    return method == want_method.upper() and fnmatchcase(path, want_path or "*")
