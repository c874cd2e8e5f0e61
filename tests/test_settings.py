"""The settings read from the environment (``diarization_portal/settings.py``), each checked in
a subprocess that imports them afresh: a request warning is logged once."""

from __future__ import annotations

import secrets
import subprocess
import sys

import pytest

from tests.processes import REPO, portal_env

SECRET = secrets.token_urlsafe(50)


def run_python(tmp_path, code: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=portal_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


LOG_A_404 = """
import django
django.setup()
from django.test import Client
print(Client().get("/api/v1/nowhere", HTTP_HOST="localhost").status_code)
"""


@pytest.mark.parametrize("debug", ["True", "False"])
def test_a_request_warning_is_logged_once(tmp_path, debug):
    env = {"DEBUG": debug, "SECRET_KEY": SECRET, "SECURE_SSL_REDIRECT": "False"}
    result = run_python(tmp_path, LOG_A_404, **env)
    assert result.stdout.strip() == "404", result.stderr
    lines = [line for line in result.stderr.splitlines() if "Not Found: /api/v1/nowhere" in line]
    assert len(lines) == 1, result.stderr
