"""Benchmark fixtures: a test database of its own, in autocommit mode, and the reporting hook.

The backend is the suite's: ``DATABASE_URL`` unset is SQLite, ``DATABASE_URL=postgres://…``
is PostgreSQL (:mod:`tests.settings`). ``django_db_setup`` is overridden for both:

* **SQLite**: pytest-django's test database is ``:memory:`` by default, which hides the cost
  of the real engine (page cache misses, WAL writes, commits), so here it is a FILE in a
  temporary folder, created with the project's own connection options
  (``PRAGMA journal_mode=WAL; synchronous=NORMAL``, ``BEGIN IMMEDIATE`` transactions), and
  deleted at the end of the run;
* **PostgreSQL**: the run's own database ``test_portal_<run id>`` (:mod:`tests.settings`),
  created and migrated at the start of the run and dropped at its end, so that runs in
  parallel never see each other's rows.

The first line printed names the database and its durability settings, the second one the
``cpu_calibration_ms`` yardstick. Either way the benchmarks talk to the database in
autocommit mode: every service call runs and COMMITs its own transaction, as it does behind
a request. Tests do not use the ``django_db`` marker (its per-test rollback or flush would
either hide the commit or wipe the large module-scoped conversations); they ask for
``bench_db`` instead.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ._helpers import FIGURES, cpu_calibration_ms, report


def _use_a_file(settings_dicts: tuple[dict, ...], tmp_path_factory) -> str:
    """Point the SQLite test database at a file in a temporary folder; return its path."""
    path = str(tmp_path_factory.mktemp("benchdb") / "bench.sqlite3")
    # The connection's settings_dict is the same dict as settings.DATABASES["default"]; set
    # the name on both in case a connection handler copied it.
    for cfg in settings_dicts:
        cfg.setdefault("TEST", {})["NAME"] = path
    return path


def _describe_sqlite(conn, path: str) -> str:
    with conn.cursor() as cur:
        cur.execute("PRAGMA journal_mode")
        journal = cur.fetchone()[0]
        cur.execute("PRAGMA synchronous")
        synchronous = cur.fetchone()[0]
    assert conn.settings_dict["NAME"] == path, conn.settings_dict["NAME"]
    assert journal.lower() == "wal", f"expected WAL journal mode, got {journal!r}"
    return f"file={path} journal_mode={journal} synchronous={synchronous}"


def _describe_postgresql(conn) -> str:
    with conn.cursor() as cur:
        cur.execute("SELECT current_database(), current_setting('server_version')")
        name, version = cur.fetchone()
        settings = []
        for setting in ("synchronous_commit", "fsync", "shared_buffers", "work_mem"):
            cur.execute("SELECT current_setting(%s)", [setting])
            settings.append(f"{setting}={cur.fetchone()[0]}")
    assert name == conn.settings_dict["NAME"], (name, conn.settings_dict["NAME"])
    assert name.startswith("test_"), f"refusing to benchmark on {name!r}, not a test database"
    return f"name={name} server={version} " + " ".join(settings)


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment, django_db_blocker, tmp_path_factory) -> Iterator[str]:
    """Create the benchmarks' own test database (a SQLite file, or the run's PostgreSQL
    database), migrated, and drop it at the end of the run."""
    from django.conf import settings
    from django.db import connections
    from django.test.utils import setup_databases, teardown_databases

    db = settings.DATABASES["default"]
    conn = connections["default"]
    sqlite = db["ENGINE"] == "django.db.backends.sqlite3"
    path = _use_a_file((db, conn.settings_dict), tmp_path_factory) if sqlite else ""
    with django_db_blocker.unblock():
        db_cfg = setup_databases(verbosity=0, interactive=False, aliases={"default"})
        described = _describe_sqlite(conn, path) if sqlite else _describe_postgresql(conn)
    report(f"BENCH database {described}")
    report(f"BENCH cpu_calibration_ms {cpu_calibration_ms():.0f} (pure-Python loop, best of 5)")
    yield conn.settings_dict["NAME"]
    with django_db_blocker.unblock():
        teardown_databases(db_cfg, verbosity=0)


@pytest.fixture
def bench_db(django_db_setup, django_db_blocker) -> Iterator[None]:
    """Database access in autocommit mode (no wrapping transaction, no flush afterwards)."""
    from django.conf import settings
    from django.db import connection

    assert not settings.DEBUG, "DEBUG would log every query and skew the figures"
    with django_db_blocker.unblock():
        assert connection.get_autocommit(), "the benchmarks must run in autocommit mode"
        yield


def pytest_terminal_summary(terminalreporter) -> None:
    if FIGURES:
        terminalreporter.section("benchmark figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
