"""Settings of the django-q2 cluster started by the end-to-end tests (``manage.py qcluster``).

The portal's own settings, read from the environment the tests give the subprocess
(``DATABASE_URL``: the test database file; ``PUBLIC_BASE_URL``: the live server; ``VAR_DIR``:
a temporary folder whose ``media/`` holds uploaded recordings), with the short timings of
:mod:`tests.e2e.timing` and the test suite's network guard: the cluster, too, may only connect
to loopback addresses.
"""

from diarization_portal.settings import *  # noqa: F403
from diarization_portal.settings import Q_CLUSTER as _PORTAL_Q_CLUSTER
from tests import netguard
from tests.e2e import timing

netguard.install()

DEBUG = False
SYNC_TIMING = timing.SYNC_TIMING
VENDOR_HTTP_TIMEOUT = timing.VENDOR_HTTP_TIMEOUT
Q_CLUSTER = {**_PORTAL_Q_CLUSTER, **timing.Q_CLUSTER}
