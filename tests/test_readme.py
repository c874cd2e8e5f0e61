"""The README's "Run in production" environment passes ``manage.py check --deploy`` without a
warning, and its configuration tables name every environment variable the portal and its run
scripts read."""

from __future__ import annotations

import re
import secrets
import subprocess
import sys

from tests.processes import REPO, portal_env

README = REPO / "README.md"


def manage(tmp_path, *args: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=portal_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def documented_production_env() -> dict[str, str]:
    """The ``export NAME=value`` lines of the README's "Run in production" example."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Run in production") : text.index("## Configuration")]
    found = {}
    for name, value in re.findall(r"^export (\w+)=(.*)$", section, flags=re.MULTILINE):
        found[name] = value.strip().strip("'\"")
    return found


def test_the_readme_documents_a_full_production_environment():
    env = documented_production_env()
    assert env["DEBUG"] == "False"
    assert {"SECRET_KEY", "ALLOWED_HOSTS", "SECURE_HSTS_SECONDS", "SECURE_PROXY_SSL_HEADER"} <= set(
        env
    )
    assert env["DATABASE_URL"].startswith("postgres://")
    assert env["REDIS_URL"].startswith("redis://")


def test_check_deploy_passes_without_a_warning_in_the_documented_environment(tmp_path):
    env = {**documented_production_env(), "SECRET_KEY": secrets.token_urlsafe(50)}
    result = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_check_deploy_fails_on_a_weak_production_environment(tmp_path):
    """The check above can fail: a short key and the default (one-host) HSTS are warnings."""
    env = {**documented_production_env(), "SECRET_KEY": "too-short"}
    del env["SECURE_HSTS_INCLUDE_SUBDOMAINS"]
    result = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode != 0
    for warning in ("security.W009", "security.W005"):
        assert warning in result.stderr


def variables_read() -> set[str]:
    """Environment variables the portal's code and its run scripts read."""
    code = re.compile(r"\b(?:os\.getenv|envbool|envint|envlist|envheader)\(\s*\"([A-Z0-9_]+)\"")
    shell = re.compile(r"\$\{([A-Z][A-Z0-9_]*):?-")
    found: set[str] = set()
    for path in (REPO / "diarization_portal").rglob("*.py"):
        found |= set(code.findall(path.read_text(encoding="utf-8")))
    for name in ("_portal.sh", "run-portal.sh", "run-production.sh"):
        found |= set(shell.findall((REPO / "scripts" / name).read_text(encoding="utf-8")))
    return found


def variables_documented() -> set[str]:
    """Names in the first column of the README's configuration tables."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Configuration") : text.index("## Layout")]
    found: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            found |= set(re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1]))
    return found


def test_every_variable_read_is_in_the_readme():
    read = variables_read()
    assert {"DB_CONN_MAX_AGE", "Q_WORKERS", "Q_TIMEOUT", "LOG_LEVEL", "TIME_ZONE"} <= read
    assert {"WEB_CONCURRENCY", "QCLUSTER_PROCESSES", "BIND", "PORTAL_SKIP_INSTALL"} <= read
    assert read - variables_documented() == set()
