"""The API throttle counts every request exactly once under concurrent load, in the database
(default configuration) and in Redis (production), against a live server with many threads."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from diarization_portal.api.services import api_key_create
from diarization_portal.security import counters
from tests import factories

STORES = ["database", *(["redis"] if os.getenv("REDIS_URL") else [])]
REQUESTS = 120
THREADS = 12
DAY = 24 * 3600


@pytest.fixture(params=STORES)
def store(request, settings):
    """The throttle's store: the database (local-memory cache) or the run's Redis cache."""
    if request.param == "redis":
        settings.CACHES = {"default": settings.REDIS_TEST_CACHE}
        settings.API_THROTTLE_STORE = "cache"
    else:
        settings.API_THROTTLE_STORE = "database"
    assert counters.uses_cache() == (request.param == "redis")
    return request.param


def rates(settings, **scopes):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": scopes}


def hammer(url: str, headers: dict[str, str]) -> list[requests.Response]:
    """REQUESTS GETs of ``url`` from THREADS threads at once, each on a new connection (so that
    gunicorn's workers share them out as they accept them)."""
    headers = {**headers, "Connection": "close"}
    with ThreadPoolExecutor(THREADS) as pool:
        return list(
            pool.map(lambda _: requests.get(url, headers=headers, timeout=60), range(REQUESTS))
        )


def same_window() -> int:
    """Wait out the last seconds of a day so the run stays in one daily window."""
    if DAY - time.time() % DAY < 60:
        time.sleep(DAY - time.time() % DAY + 1)
    return int(time.time() // DAY)


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_of_one_key_are_each_counted_once(live_server, settings, store):
    rates(settings, api="80/day", api_auth_failure="30/day")
    user = factories.user(factories.workspace(), username="loaded")
    key, raw = api_key_create(user=user, name="load")
    window = same_window()
    responses = hammer(
        f"{live_server.url}/api/v1/conversations", {"Authorization": f"Bearer {raw}"}
    )
    assert int(time.time() // DAY) == window
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: 80, 429: REQUESTS - 80}
    assert counters.peek(f"api:key:{key.pk}", DAY)[0] == REQUESTS
    assert all(0 < int(r.headers["Retry-After"]) <= DAY for r in responses if r.status_code == 429)


@pytest.mark.django_db(transaction=True)
def test_concurrent_unknown_keys_are_each_counted_once_per_address(live_server, settings, store):
    rates(settings, api="1000/day", api_auth_failure="30/day")
    window = same_window()
    responses = hammer(
        f"{live_server.url}/api/v1/conversations", {"Authorization": "Bearer dpk_guessed"}
    )
    assert int(time.time() // DAY) == window
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {401: 30, 429: REQUESTS - 30}
    assert counters.peek("api_auth_failure:addr:127.0.0.1", DAY)[0] >= 30


@pytest.fixture
def gunicorn_on_test_database(tmp_path, transactional_db):
    """gunicorn with 2 worker processes of 4 threads serving the portal's own settings without
    Redis (the default configuration: a local-memory cache in each process) on this run's test
    database; yields its base URL."""
    from django.db import connection

    from tests.processes import REPO, free_port, portal_env, wait_for

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        url = f"sqlite:///{db['NAME']}"
    else:
        url = (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
    port = free_port()
    env = portal_env(
        tmp_path, DATABASE_URL=url, REDIS_URL=None, API_THROTTLE_RATE="80/day", LOG_LEVEL="WARNING"
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "diarization_portal.wsgi",
            "--workers",
            "2",
            "--threads",
            "4",
            "--bind",
            f"127.0.0.1:{port}",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"

    def up():
        try:
            return requests.get(f"{base}/login/", timeout=10).status_code == 200
        except (requests.ConnectionError, requests.Timeout):
            return False

    try:
        wait_for(up, 60, what="gunicorn")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_gunicorn_workers_share_one_count_without_redis(gunicorn_on_test_database):
    """Each gunicorn worker had its own local-memory count, so two workers let twice the rate
    through; the database count is one for all."""
    user = factories.user(factories.workspace(), username="loaded")
    _key, raw = api_key_create(user=user, name="load")
    window = same_window()
    responses = hammer(
        f"{gunicorn_on_test_database}/api/v1/conversations", {"Authorization": f"Bearer {raw}"}
    )
    assert int(time.time() // DAY) == window
    assert Counter(r.status_code for r in responses) == {200: 80, 429: REQUESTS - 80}
