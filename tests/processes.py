"""Helpers of the tests that run the portal's commands and scripts as subprocesses: a clean
environment for the portal's own settings module, a free loopback port, and the processes a
script started (read from ``/proc``), so that a test can tell they are all gone."""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: Variables of the caller's environment that must not leak into a portal subprocess (the
#: backend under test, DATABASE_URL and REDIS_URL, is kept unless a test says otherwise).
PORTAL_VARIABLES = (
    "DJANGO_SETTINGS_MODULE",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "VAR_DIR",
    "STATIC_ROOT",
    "LOG_LEVEL",
    "Q_CLUSTER_NAME",
    "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_COOKIES",
    "TRUSTED_PROXY_COUNT",
    "LOGIN_FAILURE_LIMIT",
    "LOGIN_COOLOFF_MINUTES",
    "API_THROTTLE_RATE",
    "API_AUTH_FAILURE_RATE",
    "API_THROTTLE_STORE",
    "PORT",
    "BIND",
    "WEB_CONCURRENCY",
    "QCLUSTER_PROCESSES",
    "STOP_TIMEOUT",
    "GUNICORN_CMD_ARGS",
    "PORTAL_SKIP_INSTALL",
)


def portal_env(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    """The environment of a portal subprocess: ``diarization_portal.settings`` (not the test
    settings), its own ``VAR_DIR`` and ``STATIC_ROOT`` under ``tmp_path``, then
    ``overrides`` (``None`` removes a variable)."""
    env = {k: v for k, v in os.environ.items() if k not in PORTAL_VARIABLES}
    env.update(
        DJANGO_SETTINGS_MODULE="diarization_portal.settings",
        VAR_DIR=str(tmp_path / "var"),
        STATIC_ROOT=str(tmp_path / "static"),
    )
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def free_port() -> int:
    """A TCP port nothing listens on at 127.0.0.1 (free when asked)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Proc:
    """A process as ``/proc`` shows it; ``started`` (clock ticks after boot) tells it apart
    from a later process with the same pid."""

    pid: int
    ppid: int
    started: int
    cmdline: str

    def alive(self) -> bool:
        """Still running: the same process, and not a zombie."""
        now = read_proc(self.pid)
        return now is not None and now.started == self.started and _state(self.pid) != "Z"


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # "pid (comm) state ppid …": comm may hold spaces and parentheses.
    return raw[raw.rindex(")") + 2 :].split()


def _state(pid: int) -> str | None:
    fields = _stat_fields(pid)
    return fields[0] if fields else None


def read_proc(pid: int) -> Proc | None:
    fields = _stat_fields(pid)
    if fields is None:
        return None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        cmdline = ""
    # After "pid (comm)": state is field 3 of stat(5), ppid 4, starttime 22.
    return Proc(pid=pid, ppid=int(fields[1]), started=int(fields[19]), cmdline=cmdline.strip())


def descendants(pid: int) -> list[Proc]:
    """Every living process below ``pid`` (children, their children, …)."""
    children: dict[int, list[Proc]] = {}
    for entry in Path("/proc").iterdir():
        proc = read_proc(int(entry.name)) if entry.name.isdigit() else None
        if proc is not None:
            children.setdefault(proc.ppid, []).append(proc)
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child.pid)
    return [p for p in found if p.alive()]


def wait_for(predicate, timeout: float, interval: float = 0.2, what: str = "condition"):
    """Poll ``predicate`` until it returns something true; its value, or AssertionError."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)
