"""Requests and answers of the emulator, and the base of each emulated vendor."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP as HTTP_POLICY
from typing import TYPE_CHECKING, Any

from .progress import Advance

if TYPE_CHECKING:
    from .server import VendorEmulator


@dataclass(frozen=True)
class FormPart:
    """One ``multipart/form-data`` part: ``name``, ``filename`` (files only) and bytes."""

    name: str
    filename: str | None
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")


@dataclass(eq=False)
class Request:
    """One request the emulator received, as recorded in its log.

    ``path`` is under the vendor's mount (``/v1/job/abc`` for ``/symbl/v1/job/abc``);
    ``query`` maps names to every value given; ``at`` is :func:`time.monotonic` on arrival.
    ``status`` is what the emulator answered (``None``: the connection was dropped), ``fault``
    the kind of fault met (``""``: none), ``outcome`` the state an outcome fault asked for.
    """

    vendor: str
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.monotonic)
    status: int | None = None
    fault: str = ""
    outcome: str = ""

    @property
    def line(self) -> str:
        """``"METHOD /path"``."""
        return f"{self.method} {self.path}"

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The first value of query parameter ``name``."""
        values = self.query.get(name)
        return values[0] if values else default

    def header(self, name: str, default: str | None = None) -> str | None:
        """Header ``name``, case-insensitively."""
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), default)

    def json(self) -> Any:
        """The body decoded as JSON; raises ValueError when it is not."""
        return json.loads(self.body.decode("utf-8"))

    def form(self) -> dict[str, FormPart]:
        """The ``multipart/form-data`` parts by name (the last part of a repeated name wins).
        Raises ValueError when the body is not multipart."""
        content_type = self.header("Content-Type", "")
        if not content_type.startswith("multipart/form-data"):
            raise ValueError(f"expected multipart/form-data, got {content_type or 'nothing'}")
        head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
        message = BytesParser(policy=HTTP_POLICY).parsebytes(head + self.body)
        parts = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name:
                content = part.get_payload(decode=True) or b""
                parts[name] = FormPart(name, part.get_filename(), content)
        return parts

    def describe(self) -> str:
        """One log line: time, vendor, method, path, query, answer and fault."""
        query = "&".join(f"{k}={v}" for k, vs in self.query.items() for v in vs)
        extra = f" fault={self.fault}" if self.fault else ""
        extra += f" (sent {len(self.body)} bytes)" if self.body else ""
        return (
            f"{self.at:.3f} {self.vendor} {self.line}{'?' + query if query else ''} "
            f"-> {self.status}{extra}"
        )


@dataclass
class Response:
    """An answer: ``body`` is JSON-encoded unless bytes or str; ``raw`` replaces the encoded
    body (truncated bodies)."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    raw: bytes | None = None

    def encode(self) -> bytes:
        if self.raw is not None:
            return self.raw
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


class BadRequest(Exception):
    """Raised by route handlers: answer ``status`` with the vendor's error body for
    ``message`` (``detail`` goes into vendors' structured error bodies)."""

    def __init__(self, status: int, message: str, detail: Any = None) -> None:
        super().__init__(message)
        self.status, self.message, self.detail = status, message, detail


Route = tuple[str, re.Pattern, Callable[..., Response]]


class VendorState:
    """Base of an emulated vendor: its routes, lock, job advance mode and error shape.

    Subclasses fill ``routes`` with ``(method, compiled path regex, handler)``; a handler gets
    the :class:`Request` and the regex groups as keyword arguments and returns a
    :class:`Response` or raises :class:`BadRequest`. ``advance`` decides how new jobs move
    (:class:`~tests.emulator.progress.Advance`); change it before the submit.
    """

    name = ""

    def __init__(self, emulator: VendorEmulator) -> None:
        self.emulator = emulator
        self.lock = threading.RLock()
        self.advance = Advance.per_poll()
        self.routes: list[Route] = []

    def route(self, method: str, pattern: str, handler: Callable[..., Response]) -> None:
        """Register ``handler`` for ``method`` and the path regex ``pattern``."""
        self.routes.append((method, re.compile(pattern), handler))

    def dispatch(self, request: Request) -> Response:
        """Run the handler of the first matching route (404 when none matches)."""
        allowed = False
        for method, regex, handler in self.routes:
            found = regex.fullmatch(request.path)
            if found is None:
                continue
            allowed = True
            if method == request.method:
                try:
                    with self.lock:
                        return handler(request, **found.groupdict())
                except BadRequest as err:
                    return self.error(err.status, err.message, detail=err.detail)
        if allowed:
            return self.error(405, f"{request.method} is not allowed on {request.path}")
        return self.error(404, f"no such endpoint: {request.method} {request.path}")

    def error(
        self, status: int, message: str, *, retry_after: float | None = None, detail: Any = None
    ) -> Response:
        """The vendor's error answer (overridden per vendor); ``Retry-After`` when given."""
        headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
        return Response(status, {"message": message}, headers)

    def tick(self, now: float) -> None:
        """Move time-driven jobs on (called by the emulator's clock thread, under the lock)."""

    def json_body(self, request: Request, kinds: type | tuple = dict) -> Any:
        """The request body as JSON of ``kinds``; 400 otherwise."""
        try:
            body = request.json()
        except (ValueError, UnicodeDecodeError):
            raise BadRequest(400, "the request body is not JSON") from None
        if not isinstance(body, kinds):
            raise BadRequest(400, "the request body has the wrong JSON type")
        return body


def is_int(value: Any) -> bool:
    """True for an int that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)
