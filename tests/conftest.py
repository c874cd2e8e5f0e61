"""Fixtures shared by the whole suite.

Tests never reach the network: every socket connect to an address outside the loopback range
fails (zulip-style, :mod:`tests.netguard`). Vendor behaviour is tested against recorded JSON
and loopback servers (:mod:`tests.emulator`).

The SQLite test database is a file in a temporary folder, not ``:memory:``, so that other
threads and processes can share it: live servers, and the django-q2 cluster the end-to-end
tests (``tests/e2e``) run as a subprocess. On PostgreSQL it is the run's own database
(:mod:`tests.settings`). Before each test the django-q2 queue (a Redis list on the production
stack, which no transaction rolls back) and the local-memory cache are emptied; at the end of
the session the run's Redis keys are deleted.

A skipped test is a failure: everything the suite needs is in the repository
(``tests/data``) or on the machine, so a skip could only hide a test that did not run.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.data import REAL
from tests.netguard import NetworkBlocked, guarded_connect, guarded_connect_ex

__all__ = ["NetworkBlocked"]

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "diarization_portal" / "conversations" / "samples"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """Make the SQLite test database a file (pytest-django creates it, migrated, from this)."""
    from django.conf import settings
    from django.db import connections

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        return
    path = tmp_path_factory.mktemp("db") / "test.sqlite3"
    for config in (settings.DATABASES["default"], connections["default"].settings_dict):
        config.setdefault("TEST", {})["NAME"] = str(path)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database; on PostgreSQL, before it is dropped, end the sessions
    that threads or subprocesses of the tests left open on it (DROP DATABASE refuses a
    database "being accessed by other users", which would leave it behind)."""
    yield
    from django.db import connections

    connection = connections["default"]
    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(autouse=True)
def _keep_the_test_transaction(request):
    """In a test that runs inside a rolled-back transaction (``db``), the end of an in-process
    request must not close the database connection: that would end the test's transaction.
    Django's test client holds ``close_old_connections`` back for that reason; WSGI clients
    such as schemathesis's do not. (SQLite ignored the close while the test database was
    ``:memory:``; a file, like PostgreSQL, does not.)"""
    from pytest_django.fixtures import validate_django_db

    marker = request.node.get_closest_marker("django_db")
    transactional = {"transactional_db", "live_server"} & set(request.fixturenames) or (
        marker is not None and validate_django_db(marker)[0]
    )
    if transactional or (marker is None and "db" not in request.fixturenames):
        yield
        return
    from django.db import connections

    connection = connections["default"]
    close = connection.close

    def close_outside_the_test_transaction() -> None:
        if not connection.in_atomic_block:
            close()

    connection.close = close_outside_the_test_transaction
    try:
        yield
    finally:
        del connection.close


def pytest_runtest_makereport(item, call):
    """Turn a skip into a failure that names its reason."""
    if call.excinfo is not None and call.excinfo.errisinstance(pytest.skip.Exception):
        try:
            raise AssertionError(f"a test may not skip: {call.excinfo.value}")
        except AssertionError:
            call.excinfo = pytest.ExceptionInfo.from_current()


@pytest.fixture(autouse=True)
def _empty_queue_and_cache():
    """Each test starts with an empty django-q2 queue and an empty local-memory cache."""
    from django.core.cache import cache

    from tests import broker

    if broker.uses_redis():
        broker.purge()
    cache.clear()  # local memory in tests (tests/settings.py), never a shared server
    yield


@pytest.fixture(scope="session", autouse=True)
def _delete_the_runs_redis_keys():
    """At the end of the session, delete every Redis key of this run (its queue, the
    cluster's stats and its cache entries), and nothing of any other run."""
    yield
    from django.conf import settings

    if not settings.REDIS_URL:
        return
    import redis

    connection = redis.Redis.from_url(settings.REDIS_URL)
    try:
        keys = list(connection.scan_iter(match=f"*{settings.REDIS_KEY_PREFIX}*", count=1000))
        if keys:
            connection.delete(*keys)
    finally:
        connection.close()


@pytest.fixture(autouse=True)
def _block_network(monkeypatch):
    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)


@pytest.fixture
def real_data() -> Path:
    """The folder of real public diarization files kept with the tests (``tests/data/real``,
    sources and licences in its README)."""
    return REAL
