"""Benchmark fixtures: an on-disk SQLite test database and helpers to time and report.

pytest-django's test database for SQLite is ``:memory:`` by default, which hides the cost of
the real engine (page cache misses, WAL writes, commits). Here ``django_db_setup`` is
overridden so that the test database is a FILE in a temporary folder, created with the
project's own connection options (``PRAGMA journal_mode=WAL; synchronous=NORMAL``,
``BEGIN IMMEDIATE`` transactions), and the benchmarks talk to it in autocommit mode: every
service call runs and COMMITs its own transaction, as it does behind a request. Tests do
not use the ``django_db`` marker (its per-test rollback or flush would either hide the
commit or wipe the large module-scoped conversations); they ask for ``bench_db`` instead.
The database file is deleted at the end of the session.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ._helpers import FIGURES, cpu_calibration_ms, report


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment, django_db_blocker, tmp_path_factory) -> Iterator[Path]:
    """Create the test database as a file (not ``:memory:``) and check it is in WAL mode."""
    from django.conf import settings
    from django.db import connections
    from django.test.utils import setup_databases, teardown_databases

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("the benchmarks are written for SQLite (the default database)")
    path = tmp_path_factory.mktemp("benchdb") / "bench.sqlite3"
    # The connection's settings_dict is the same dict as settings.DATABASES["default"]; set
    # the name on both in case a connection handler copied it.
    for cfg in (db, connections["default"].settings_dict):
        cfg.setdefault("TEST", {})["NAME"] = str(path)
    with django_db_blocker.unblock():
        db_cfg = setup_databases(verbosity=0, interactive=False, aliases={"default"})
        conn = connections["default"]
        with conn.cursor() as cur:
            cur.execute("PRAGMA journal_mode")
            journal = cur.fetchone()[0]
            cur.execute("PRAGMA synchronous")
            synchronous = cur.fetchone()[0]
        assert conn.settings_dict["NAME"] == str(path), conn.settings_dict["NAME"]
        assert journal.lower() == "wal", f"expected WAL journal mode, got {journal!r}"
    report(f"BENCH database file={path} journal_mode={journal} synchronous={synchronous}")
    report(f"BENCH cpu_calibration_ms {cpu_calibration_ms():.0f} (pure-Python loop, best of 5)")
    yield path
    with django_db_blocker.unblock():
        teardown_databases(db_cfg, verbosity=0)


@pytest.fixture
def bench_db(django_db_setup, django_db_blocker) -> Iterator[None]:
    """Database access in autocommit mode (no wrapping transaction, no flush afterwards)."""
    from django.conf import settings

    assert not settings.DEBUG, "DEBUG would log every query and skew the figures"
    with django_db_blocker.unblock():
        yield


def pytest_terminal_summary(terminalreporter) -> None:
    if FIGURES:
        terminalreporter.section("benchmark figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
