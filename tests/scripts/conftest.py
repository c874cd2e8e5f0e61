"""Fixtures of the tests that run ``scripts/run-portal.sh`` and ``scripts/run-production.sh``:
a script started in the background with its output in a log file, stopped for good at the
end whatever happened; on the PostgreSQL run, a database of the script's own."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests

from tests.processes import REPO, descendants, wait_for


class Script:
    """A script running in the background (``process``) with its output in ``log``."""

    def __init__(self, process: subprocess.Popen, log: Path, url: str):
        self.process = process
        self.log = log
        self.url = url

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(self.url + path, timeout=10, allow_redirects=False, **kwargs)

    def wait_until_serving(self, timeout: float = 90) -> None:
        """Until ``/login/`` answers 200; fails at once, with the log, if the script ends."""

        def serving() -> bool:
            if self.process.poll() is not None:
                code = self.process.returncode
                raise AssertionError(f"the script ended ({code}):\n{self.output()}")
            try:
                return self.get("/login/").status_code == 200
            except requests.ConnectionError:
                return False

        wait_for(serving, timeout, interval=0.25, what=f"{self.url}/login/")

    def wait(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the script is still running:\n{self.output()}") from None


@contextmanager
def running(script: str, env: dict[str, str], tmp_path: Path, url: str):
    """Start ``scripts/<script>`` with ``env``; at the end, whatever happened, SIGKILL what
    is left of it and of every process below it."""
    log = tmp_path / f"{script}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["bash", f"scripts/{script}"],
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield Script(process, log, url)
    finally:
        left = descendants(process.pid)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        for proc in left:
            if proc.alive():
                os.kill(proc.pid, signal.SIGKILL)


@pytest.fixture
def own_database():
    """On the PostgreSQL run, the URL of a new database for the script's server (dropped at
    the end); ``None`` on SQLite."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield None
        return
    import psycopg

    name = f"portal_script_{secrets.token_hex(4)}"
    parts = urlsplit(url)
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield urlunsplit(parts._replace(path=f"/{name}"))
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
