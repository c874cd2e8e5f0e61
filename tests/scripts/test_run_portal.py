"""``scripts/run-portal.sh``, the demo: SQLite and the ORM broker under a fresh VAR_DIR, the demo
user and samples, the development server (with its reloader) and a cluster; SIGTERM to the
script leaves no server and no cluster behind."""

from __future__ import annotations

import re
import signal

import pytest
import requests

from tests.processes import descendants, free_port, portal_env, wait_for
from tests.scripts.conftest import running

pytestmark = pytest.mark.e2e


def test_demo_serves_the_samples_and_sigterm_stops_everything(tmp_path):
    port = free_port()
    env = portal_env(
        tmp_path, PORTAL_SKIP_INSTALL="1", PORT=str(port), DATABASE_URL=None, REDIS_URL=None
    )
    url = f"http://127.0.0.1:{port}"
    with running("run-portal.sh", env, tmp_path, url) as script:
        script.wait_until_serving()
        assert (tmp_path / "var" / "portal.sqlite3").exists()
        assert script.get("/static/css/portal.css").headers["Content-Type"].startswith("text/css")

        session = requests.Session()
        form = session.get(f"{url}/login/", timeout=10).text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)[1]
        home = session.post(
            f"{url}/login/",
            data={"username": "demo", "password": "diarize-demo", "csrfmiddlewaretoken": token},
            timeout=10,
        )
        assert home.url == f"{url}/w/demo/"
        assert "Weekly product sync" in home.text

        def started():
            below = descendants(script.process.pid)
            servers = [p for p in below if "manage.py runserver" in p.cmdline]
            clusters = [p for p in below if "manage.py qcluster" in p.cmdline]
            # runserver's reloader and the server it runs; the cluster and its 4 processes
            return below if len(servers) == 2 and len(clusters) >= 5 else None

        started_processes = wait_for(started, 30, what="the server and the cluster")
        script.process.send_signal(signal.SIGTERM)
        assert script.wait(30) == 0, script.output()
        assert [p for p in started_processes if p.alive()] == []
        assert "Demo ready: log in as “demo”" in script.output()
