"""The backends the environment chooses (README "Configuration"): SQLite with the django-q2 ORM
broker by default, PostgreSQL and Redis from ``DATABASE_URL`` and ``REDIS_URL``; and the test
run's own isolation from other runs on the same servers (``tests/settings.py``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests import broker

REPO = Path(__file__).resolve().parents[1]
PROBE = (
    "import json; from django.conf import settings as s; "
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], "
    "'broker': sorted(k for k in ('orm', 'redis') if k in s.Q_CLUSTER), "
    "'cache': s.CACHES['default']['BACKEND']}))"
)


def portal_settings(**env: str) -> dict:
    """What ``diarization_portal.settings`` makes of ``env`` (a fresh interpreter, since the
    settings are read once at import)."""
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {PROBE}"],
        env={**clean, "DJANGO_SETTINGS_MODULE": "diarization_portal.settings", **env},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("env", [{}, {"DATABASE_URL": "", "REDIS_URL": ""}])
def test_the_default_needs_no_other_process(env):
    assert portal_settings(**env) == {
        "engine": "django.db.backends.sqlite3",
        "broker": ["orm"],
        "cache": "django.core.cache.backends.locmem.LocMemCache",
    }


def test_database_and_redis_urls_choose_the_production_stack():
    assert portal_settings(
        DATABASE_URL="postgres://portal@127.0.0.1:5432/portal", REDIS_URL="redis://127.0.0.1/0"
    ) == {
        "engine": "django.db.backends.postgresql",
        "broker": ["redis"],
        "cache": "django.core.cache.backends.redis.RedisCache",
    }


def test_redis_without_its_package_is_refused_with_the_extra_to_install():
    code = "import sys; sys.modules['redis'] = None; import django; django.setup()"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "diarization_portal.settings",
            "REDIS_URL": "redis://127.0.0.1/0",
        },
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "REDIS_URL is set but the redis package is missing" in result.stderr
    assert "'.[redis]'" in result.stderr


@pytest.mark.django_db
def test_this_run_has_a_database_and_a_queue_of_its_own():
    run_id = os.environ["PORTAL_TEST_RUN_ID"]
    if connection.vendor == "postgresql":
        assert connection.settings_dict["NAME"] == f"test_portal_{run_id}"
    if settings.REDIS_URL:
        assert broker.uses_redis()
        assert run_id in broker.get_broker().list_key
    else:
        assert not broker.uses_redis()


@pytest.mark.django_db(transaction=True)
def test_a_task_enqueued_after_commit_waits_on_the_runs_broker():
    from django_q.tasks import async_task

    async_task("math.floor", 2.5)
    assert broker.queued() == [("floor", (2.5,))]
    broker.purge()
    assert broker.queue_size() == 0
