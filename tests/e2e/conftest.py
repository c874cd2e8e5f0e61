"""End-to-end fixtures: django-q2 cluster subprocesses, the live server, the vendor emulator.

They run on both stacks of the suite (``tests/settings.py``). On SQLite with the ORM broker,
one cluster (SQLite has a single writer) shares the test database file with the test
process. On PostgreSQL with Redis, two clusters of :data:`WORKERS` workers each, as two
machines would run them, use pytest-django's test database and consume the run's Redis queue
(``PORTAL_TEST_RUN_ID`` and ``REDIS_URL`` in their environment). Either way the clusters get
the test database as ``DATABASE_URL``. Tests use the live server (transactional database
access) so that what either side commits is seen by the other, and vendors' webhooks reach
the portal. The clusters serve all the end-to-end tests (package scope); a test may kill one
and start it again (:class:`~tests.e2e.cluster.Cluster`). After each test every task
enqueued so far is let finish (:meth:`E2E.drain`) before pytest-django empties the tables
(TRUNCATE on PostgreSQL, which waits for the locks of any transaction still running), so no
task of one test runs in the next; the Redis queue, which no flush empties, is purged before
each test (``tests/conftest.py``).

When a test fails, its teardown prints the jobs, the emulator's request log, failed
django-q2 tasks and the tail of each cluster's log.

``browser_page`` (:mod:`tests.chromium`, shared with ``tests/browser``) drives Chromium for
the test that goes through the dashboard.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django.db import connections
from django_q.models import Task

from diarization_portal.conversations.models import Conversation, Job, Message
from diarization_portal.sync import clients
from diarization_portal.sync.models import ProviderAccount
from tests import broker, factories
from tests.chromium import browser_page as browser_page  # the browser test's Chromium page
from tests.emulator import Datasets, VendorEmulator

from . import brokers, timing
from .cluster import Cluster, Clusters, Sweeper

SECRETS = {
    "symbl": {"app_id": "e2e-app", "app_secret": "e2e-app-secret"},
    "elevenlabs": {"api_key": "e2e-xi-key"},
    "phonexia": {"api_key": "e2e-phx-key"},
    "deepaffects": {"api_key": "e2e-da-key"},
}
WEBHOOK_SECRET = "whsec_e2e_signing"
#: ``(clusters, workers each)`` per database: SQLite has one writer, so one cluster; on the
#: production stack two clusters consume one queue, as two machines would.
WORKERS = {"sqlite": (1, timing.Q_CLUSTER["workers"]), "postgresql": (2, 3)}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def database_url(database: dict) -> str:
    """The ``DATABASE_URL`` of the test database ``database`` (a connection's settings dict,
    after pytest-django set the test database up)."""
    if database["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(database['NAME']).resolve()}"
    if database["ENGINE"] != "django.db.backends.postgresql":
        raise RuntimeError(f"no end-to-end runs on {database['ENGINE']}")
    user = quote(database.get("USER") or "", safe="")
    password = quote(database.get("PASSWORD") or "", safe="")
    login = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    port = f":{database['PORT']}" if database.get("PORT") else ""
    host = database.get("HOST") or "localhost"
    options = {k: v for k, v in (database.get("OPTIONS") or {}).items() if isinstance(v, str)}
    query = f"?{urlencode(options)}" if options else ""
    return f"postgres://{login}{host}{port}/{quote(database['NAME'], safe='')}{query}"


@pytest.fixture(scope="package")
def clusters(django_db_setup, live_server, tmp_path_factory):
    """The django-q2 clusters of the end-to-end tests (:data:`WORKERS`), on the test
    database (stopped after the last of them, so that they never see the rest of the suite's
    data)."""
    database = connections["default"].settings_dict
    count, workers = WORKERS[connections["default"].vendor]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.e2e.cluster_settings",
        "DATABASE_URL": database_url(database),
        "E2E_WORKERS": str(workers),
        "PUBLIC_BASE_URL": live_server.url,
        "E2E_TEST_PID": str(os.getpid()),
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": "INFO",
    }
    group = Clusters(env, tmp_path_factory.mktemp("cluster-var"), count)
    try:
        group.start()
        yield group
    finally:
        group.stop()


class E2E:
    """What an end-to-end test works with: the ``emulator``, the ``clusters``, a
    ``workspace``, the test-side ``sweeper``, and helpers to make accounts, wait for jobs and
    kill a cluster."""

    def __init__(self, emulator: VendorEmulator, clusters: Clusters, live_server) -> None:
        self.emulator = emulator
        self.clusters = clusters
        self.live_server = live_server
        self.workspace = factories.workspace()
        self.sweeper: Sweeper | None = None
        self._log_marks = {cluster.name: cluster.log_size() for cluster in clusters}

    def account(self, vendor: str, **fields) -> ProviderAccount:
        """A saved account of ``vendor`` pointing at the emulator, with test secrets (and the
        ElevenLabs webhook secret)."""
        account = ProviderAccount(
            workspace=self.workspace,
            vendor=vendor,
            label=fields.pop("label", f"{vendor} (emulated)"),
            base_url=self.emulator.base_url(vendor),
            **fields,
        )
        account.set_secrets(**SECRETS[vendor])
        if vendor == "elevenlabs":
            account.webhook_secret = WEBHOOK_SECRET
        account.full_clean()
        account.save()
        return account

    def start_sweeper(self) -> Sweeper:
        """Sweep every :data:`timing.SWEEP_EVERY` seconds until the test ends (or
        :meth:`stop_sweeper`)."""
        if self.sweeper is None:
            self.sweeper = Sweeper(timing.SWEEP_EVERY).start()
        return self.sweeper

    def stop_sweeper(self) -> None:
        if self.sweeper is not None:
            self.sweeper.stop()
            self.sweeper = None

    def wait_until(
        self, predicate: Callable[[], object], *, timeout: float = 30.0, what: str = ""
    ) -> object:
        """Poll ``predicate`` every 50 ms until it returns something true; return that.
        Raises AssertionError with the diagnostics after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"waited {timeout:g} s for {what or predicate}\n{self.diagnostics()}"
                )
            time.sleep(0.05)

    def wait_job(self, job: Job, states=("done",), *, timeout: float = 30.0) -> Job:
        """Wait until ``job`` is in one of ``states`` (default: done), or in another finished
        state (fails at once); return it fresh."""
        finished = {"done", "failed", "rejected"}

        def settled():
            fresh = Job.objects.get(pk=job.pk)
            if fresh.state in states:
                return fresh
            if fresh.state in finished:
                raise AssertionError(
                    f"job {job.pk} ended {fresh.state}, expected {states}\n{self.diagnostics()}"
                )
            return None

        return self.wait_until(settled, timeout=timeout, what=f"job {job.pk} in {states}")

    def drain(self, timeout: float = 20.0) -> bool:
        """Wait until every task enqueued so far has run and its result is saved: none waits
        in the queue or is held by a cluster (:func:`brokers.unfinished`)."""
        deadline = time.monotonic() + timeout
        while brokers.unfinished():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def cluster_holding(self, task: str, *, timeout: float = 10.0) -> Cluster:
        """The one running cluster that took ``task`` (``"import_job(12)"``) and has not
        finished it; waits until a duplicate of the task that another cluster skipped is
        done."""
        found = self.wait_until(
            lambda: len(held := self.clusters.holding(task)) == 1 and held,
            timeout=timeout,
            what=f"one cluster holding {task}",
        )
        return found[0]

    def tasks_taken(self, cluster: Cluster) -> list[str]:
        """The tasks ``cluster`` took during this test (:func:`brokers.describe`)."""
        return cluster.tasks_taken(since=self._log_marks.get(cluster.name, 0))

    def kill(self, cluster: Cluster) -> list[str]:
        """SIGKILL ``cluster``'s process group and drop the tasks it had taken
        (:func:`brokers.drop_taken`: lost with it on Redis; with the ORM broker they would
        be handed out again after ``Q_CLUSTER["retry"]`` seconds). Returns those tasks."""
        cluster.kill()
        return brokers.drop_taken(cluster.name)

    def diagnostics(self) -> str:
        """Jobs, conversations, failed tasks, the emulator's log and the clusters' log tails."""
        lines = ["jobs:"]
        for job in Job.objects.order_by("pk"):
            lines.append(
                f"  #{job.pk} {job.kind} {job.state} attempts={job.attempts} "
                f"vendor_job_id={job.vendor_job_id!r} conv={job.conversation_id} "
                f"next_check_at={job.next_check_at} error={job.error_type}: {job.error_message}"
            )
        for conversation in Conversation.objects.order_by("pk"):
            count = Message.objects.filter(conversation=conversation).count()
            lines.append(f"  conversation #{conversation.pk} {conversation.external_id}: {count}")
        lines.append("failed tasks:")
        for task in Task.objects.filter(success=False).order_by("started"):
            lines.append(f"  {task.func}{task.args}: {str(task.result)[-400:]}")
        lines.append(f"queued tasks: {broker.queue_size()}, unfinished: {brokers.unfinished()}")
        if self.sweeper is not None and self.sweeper.errors:
            lines.append(f"sweeper errors: {self.sweeper.errors[-5:]}")
        lines.append(self.emulator.describe())
        lines.append(self.clusters.tail())
        return "\n".join(lines)


@pytest.fixture
def e2e(request, real_data, clusters, live_server, settings, transactional_db):
    """An :class:`E2E` with every cluster running, a started emulator and the test sweeper
    running."""
    settings.SYNC_TIMING = timing.SYNC_TIMING
    settings.VENDOR_HTTP_TIMEOUT = timing.VENDOR_HTTP_TIMEOUT
    settings.PUBLIC_BASE_URL = live_server.url
    settings.MEDIA_ROOT = clusters.var_dir / "media"
    clients.clear_cache()
    clusters.start()
    with VendorEmulator(Datasets.load(real_data)) as emulator:
        run = E2E(emulator, clusters, live_server)
        run.start_sweeper()
        try:
            yield run
        finally:
            run.stop_sweeper()
            drained = run.drain()
            failed = getattr(request.node, "report_call", None)
            if failed is not None and failed.failed:
                print(run.diagnostics())
            if not drained:
                print(f"tasks still queued after the test:\n{run.diagnostics()}")
    clients.clear_cache()
