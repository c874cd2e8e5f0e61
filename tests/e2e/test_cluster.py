"""The clusters the end-to-end tests run are real, separate django-q2 clusters under the test
suite's rules, consuming the run's queue."""

from __future__ import annotations

import os

import dj_database_url
import pytest
from django_q.tasks import async_task, fetch

from .conftest import database_url

pytestmark = pytest.mark.e2e


def test_the_clusters_are_given_the_test_database_as_settings_name_it():
    postgres = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "test_portal_1a2b",
        "USER": "portal@ci",
        "PASSWORD": "p:ss/w@rd",
        "HOST": "db.internal",
        "PORT": 5433,
        "OPTIONS": {"sslmode": "require"},
    }
    parsed = dj_database_url.parse(database_url(postgres))
    assert {k: parsed[k] for k in postgres} == postgres
    local = {"ENGINE": "django.db.backends.postgresql", "NAME": "test_portal_1a2b", "PORT": ""}
    assert database_url(local) == "postgres://localhost/test_portal_1a2b"
    sqlite = {"ENGINE": "django.db.backends.sqlite3", "NAME": "/tmp/db/test.sqlite3"}
    assert database_url(sqlite) == "sqlite:////tmp/db/test.sqlite3"


def test_tasks_run_in_the_cluster_processes_with_the_network_guard(e2e):
    groups = {cluster.process.pid: cluster for cluster in e2e.clusters}
    seen: set[int] = set()
    for _ in range(10):  # until every cluster has answered (each takes what it can)
        ids = [async_task("tests.e2e.probes.worker") for _ in range(3 * len(groups))]
        e2e.wait_until(lambda ids=ids: all(fetch(i) for i in ids), timeout=20, what="probe tasks")
        for task_id in ids:
            assert fetch(task_id).success
            worker_pid, guarded = fetch(task_id).result
            assert worker_pid != os.getpid() and worker_pid not in groups
            assert guarded is True
            seen.add(os.getpgid(worker_pid))  # killed with its cluster
        if seen == set(groups):
            break
    assert seen == set(groups), f"probes ran in {seen}, clusters are {sorted(groups)}"
