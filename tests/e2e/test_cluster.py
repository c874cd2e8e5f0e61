"""The cluster the end-to-end tests run is a real, separate django-q2 cluster under the test
suite's rules."""

from __future__ import annotations

import os

import pytest
from django_q.tasks import async_task, fetch

pytestmark = pytest.mark.e2e


def test_tasks_run_in_the_cluster_processes_with_the_network_guard(e2e):
    task_id = async_task("os.getpid")
    guard_id = async_task("tests.e2e.probes.network_guard_installed")
    e2e.wait_until(lambda: fetch(task_id) and fetch(guard_id), timeout=20, what="probe tasks")
    worker_pid = fetch(task_id).result
    assert worker_pid != os.getpid() and worker_pid != e2e.cluster.process.pid
    assert os.getpgid(worker_pid) == e2e.cluster.process.pid  # killed with the cluster
    assert fetch(guard_id).success and fetch(guard_id).result is True
