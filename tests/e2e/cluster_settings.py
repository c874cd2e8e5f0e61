"""Settings of the django-q2 cluster started by the end-to-end tests (``manage.py qcluster``).

The test suite's settings (:mod:`tests.settings`), read from the environment the tests give
the subprocess (``DATABASE_URL``: the test database; ``PUBLIC_BASE_URL``: the live server;
``VAR_DIR``: a temporary folder whose ``media/`` holds uploaded recordings;
``PORTAL_TEST_RUN_ID``: the run's Redis queue; ``E2E_CLUSTER``: the cluster's name;
``E2E_WORKERS``: its number of workers), with the short timings of :mod:`tests.e2e.timing`,
the run's broker with the bookkeeping of :mod:`tests.e2e.brokers`, and the test suite's
network guard: the cluster, too, may only connect to loopback addresses. When
``E2E_TEST_PID`` names the test process, the cluster kills its whole process group as soon as
that process is gone, so that no cluster outlives a test run that was itself killed.
"""

import os
import signal
import threading
import time

from tests import netguard
from tests.e2e import timing
from tests.settings import *  # noqa: F403
from tests.settings import Q_CLUSTER as _PORTAL_Q_CLUSTER
from tests.settings import REDIS_URL as _REDIS_URL

netguard.install()

DEBUG = False
SYNC_TIMING = timing.SYNC_TIMING
VENDOR_HTTP_TIMEOUT = timing.VENDOR_HTTP_TIMEOUT
Q_CLUSTER = {
    **_PORTAL_Q_CLUSTER,
    **timing.Q_CLUSTER,
    "workers": int(os.environ.get("E2E_WORKERS", timing.Q_CLUSTER["workers"])),
    "broker_class": "tests.e2e.brokers." + ("InFlightRedis" if _REDIS_URL else "TracedORM"),
    "save_limit": 0,  # keep every task's result: the tests count them
}


def _end_with(test_pid: int) -> None:
    while True:
        time.sleep(0.5)
        try:
            os.kill(test_pid, 0)
        except ProcessLookupError:
            os.killpg(os.getpgrp(), signal.SIGKILL)


if os.environ.get("E2E_TEST_PID", "").isdigit():
    threading.Thread(
        target=_end_with, args=(int(os.environ["E2E_TEST_PID"]),), name="e2e-watchdog", daemon=True
    ).start()
