"""``scripts/run-production.sh``: it refuses development settings; it serves the portal with
gunicorn and django-q2 clusters (DEBUG off, static files from collectstatic, the portal's
error pages); SIGTERM stops every process it started and exits 0; when one of them dies, it
stops the others and exits non-zero. On the PostgreSQL run the server uses its own PostgreSQL
database and the run's Redis server."""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import time

import pytest
from django.conf import settings

from tests.processes import REPO, descendants, free_port, portal_env, wait_for
from tests.scripts.conftest import running

SCRIPT = "run-production.sh"


def production_env(tmp_path, own_database, **extra) -> tuple[dict[str, str], str]:
    """A production environment on a free loopback port (plain HTTP, so no HTTPS redirect)
    that installs nothing; the backend under test."""
    port = free_port()
    env = portal_env(
        tmp_path,
        DEBUG="False",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="False",
        PORTAL_SKIP_INSTALL="1",
        BIND=f"127.0.0.1:{port}",
        STOP_TIMEOUT="10",
        Q_WORKERS="1",
        **extra,
    )
    if own_database:
        env["DATABASE_URL"] = own_database
    if env.get("REDIS_URL"):
        env["Q_CLUSTER_NAME"] = f"{settings.REDIS_KEY_PREFIX}-production"  # the run's keys
    return env, f"http://127.0.0.1:{port}"


def processes(script) -> dict[str, list]:
    """The script's gunicorn and qcluster processes, by kind."""
    below = descendants(script.process.pid)
    return {
        "gunicorn": [p for p in below if "gunicorn" in p.cmdline],
        "qcluster": [p for p in below if "manage.py qcluster" in p.cmdline],
        "all": below,
    }


def wait_for_clusters(script, clusters: int) -> list:
    """Until each cluster runs its sentinel, worker, monitor and pusher (5 processes)."""
    wait_for(
        lambda: len(processes(script)["qcluster"]) >= 5 * clusters,
        30,
        what=f"{clusters} clusters",
    )
    return processes(script)["all"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "True", "SECRET_KEY": "k", "ALLOWED_HOSTS": "a"}, "never runs with DEBUG on"),
        ({"ALLOWED_HOSTS": "portal.example.com"}, "SECRET_KEY is not set"),
        ({"SECRET_KEY": "k"}, "ALLOWED_HOSTS is not set"),
        ({"SECRET_KEY": "k", "ALLOWED_HOSTS": "a", "WEB_CONCURRENCY": "x"}, "whole number"),
    ],
)
def test_refuses_development_settings(tmp_path, env, message):
    result = subprocess.run(
        ["bash", f"scripts/{SCRIPT}"],
        cwd=REPO,
        env=portal_env(tmp_path, PORTAL_SKIP_INSTALL="1", **env),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert not (tmp_path / "var").exists()  # refused before anything ran


@pytest.mark.e2e
def test_serves_the_portal_and_stops_everything_on_sigterm(tmp_path, own_database):
    env, url = production_env(tmp_path, own_database, WEB_CONCURRENCY="2", QCLUSTER_PROCESSES="2")
    started = time.monotonic()
    with running(SCRIPT, env, tmp_path, url) as script:
        script.wait_until_serving()
        serving_after = time.monotonic() - started

        login = script.get("/login/")
        assert login.headers["Content-Type"].startswith("text/html")
        assert "Log in" in login.text
        css = re.search(r'href="(/static/css/portal\.[0-9a-f]{12}\.css)"', login.text)
        assert css, "collectstatic's hashed name is served (DEBUG off, manifest storage)"
        static = script.get(css[1], headers={"Accept-Encoding": "gzip"})
        assert static.status_code == 200
        assert static.headers["Content-Type"].startswith("text/css")
        assert static.headers.get("Content-Encoding") == "gzip"
        assert ".topbar" in static.text

        missing = script.get("/no-such-page/")
        assert missing.status_code == 404
        assert "Page not found" in missing.text and '<header class="topbar">' in missing.text
        assert "URLconf" not in missing.text
        api = script.get("/api/v1/no-such-endpoint")
        assert api.status_code == 404
        assert api.json()["type"] == "not_found"

        started_processes = wait_for_clusters(script, 2)
        kinds = processes(script)
        assert len(kinds["gunicorn"]) == 3  # the master and 2 workers
        assert len([p for p in kinds["qcluster"] if p.ppid == script.process.pid]) == 2

        script.process.send_signal(signal.SIGTERM)
        assert script.wait(30) == 0, script.output()
        assert [p for p in started_processes if p.alive()] == []
        assert "Got SIGTERM" in script.output() and "Stopped." in script.output()
    print(f"\nrun-production.sh served /login/ {serving_after:.1f} s after its start")


@pytest.mark.e2e
def test_a_dying_process_stops_the_others(tmp_path, own_database):
    env, url = production_env(tmp_path, own_database, WEB_CONCURRENCY="1", QCLUSTER_PROCESSES="1")
    with running(SCRIPT, env, tmp_path, url) as script:
        script.wait_until_serving()
        started_processes = wait_for_clusters(script, 1)
        cluster = next(
            p
            for p in processes(script)["qcluster"]
            if p.ppid == script.process.pid  # the qcluster command itself
        )
        os.kill(cluster.pid, signal.SIGKILL)
        assert script.wait(30) == 128 + signal.SIGKILL
        assert [p for p in started_processes if p.alive()] == []
        assert "qcluster 1 ended (exit code 137): stopping the others" in script.output()
