"""Fixtures shared by the whole suite.

Tests never reach the network: every socket connect to an address outside the loopback range
fails (zulip-style, :mod:`tests.netguard`). Vendor behaviour is tested against recorded JSON
and loopback servers (:mod:`tests.emulator`).

The SQLite test database is a file in a temporary folder, not ``:memory:``, so that other
threads and processes can share it: live servers, and the django-q2 cluster the end-to-end
tests (``tests/e2e``) run as a subprocess.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.netguard import NetworkBlocked, guarded_connect, guarded_connect_ex

__all__ = ["NetworkBlocked"]

REPO = Path(__file__).resolve().parents[1]
REAL_DATA = REPO.parent / "shared" / "data" / "real"
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


@pytest.fixture(autouse=True)
def _block_network(monkeypatch):
    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)


@pytest.fixture
def real_data() -> Path:
    """The folder of real public diarization files (skips when it is not beside the repo)."""
    if not REAL_DATA.is_dir():
        pytest.skip(f"real data not found at {REAL_DATA}")
    return REAL_DATA
