"""End-to-end fixtures: a django-q2 cluster subprocess, the live server, the vendor emulator.

The test process and the cluster share one SQLite file (the test database, see
``tests/conftest.py``): the cluster gets it as ``DATABASE_URL``. Tests use the live server
(transactional database access) so that what either side commits is seen by the other, and
vendors' webhooks reach the portal. One cluster serves all the end-to-end tests (package
scope); a test may kill it and start another (:class:`~tests.e2e.cluster.Cluster`). Between
tests the queue is drained before pytest-django empties the tables.

When a test fails, its teardown prints the jobs, the emulator's request log, failed
django-q2 tasks and the tail of the cluster log.

``browser_page`` (:mod:`tests.chromium`, shared with ``tests/browser``) drives Chromium for
the test that goes through the dashboard.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connections
from django_q.models import Task

from diarization_portal.conversations.models import Conversation, Job, Message
from diarization_portal.sync import clients
from diarization_portal.sync.models import ProviderAccount
from tests import broker, factories
from tests.chromium import browser_page as browser_page  # the browser test's Chromium page
from tests.emulator import Datasets, VendorEmulator

from . import timing
from .cluster import Cluster, Sweeper

SECRETS = {
    "symbl": {"app_id": "e2e-app", "app_secret": "e2e-app-secret"},
    "elevenlabs": {"api_key": "e2e-xi-key"},
    "phonexia": {"api_key": "e2e-phx-key"},
    "deepaffects": {"api_key": "e2e-da-key"},
}
WEBHOOK_SECRET = "whsec_e2e_signing"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="package")
def cluster(django_db_setup, live_server, tmp_path_factory):
    """The django-q2 cluster of the end-to-end tests, on the test database (stopped after
    the last of them, so that it never sees the rest of the suite's data)."""
    database = connections["default"].settings_dict
    if database["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("the end-to-end tests share a SQLite file with the cluster")
    var_dir = tmp_path_factory.mktemp("cluster-var")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.e2e.cluster_settings",
        "DATABASE_URL": f"sqlite:///{Path(database['NAME']).resolve()}",
        "PUBLIC_BASE_URL": live_server.url,
        "E2E_TEST_PID": str(os.getpid()),
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": "INFO",
    }
    runner = Cluster(env, var_dir)
    try:
        runner.start()
        yield runner
    finally:
        runner.stop()


class E2E:
    """What an end-to-end test works with: the ``emulator``, the ``cluster``, a ``workspace``,
    the test-side ``sweeper``, and helpers to make accounts and wait for jobs."""

    def __init__(self, emulator: VendorEmulator, cluster: Cluster, live_server) -> None:
        self.emulator = emulator
        self.cluster = cluster
        self.live_server = live_server
        self.workspace = factories.workspace()
        self.sweeper: Sweeper | None = None

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
        """Wait until the broker queue is empty (every task enqueued so far has run)."""
        deadline = time.monotonic() + timeout
        while broker.queue_size():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def diagnostics(self) -> str:
        """Jobs, conversations, failed tasks, the emulator's log and the cluster's log tail."""
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
        lines.append(f"queued tasks: {broker.queue_size()}")
        if self.sweeper is not None and self.sweeper.errors:
            lines.append(f"sweeper errors: {self.sweeper.errors[-5:]}")
        lines.append(self.emulator.describe())
        lines.append(self.cluster.tail())
        return "\n".join(lines)


@pytest.fixture
def e2e(request, real_data, cluster, live_server, settings, transactional_db):
    """An :class:`E2E` with a started emulator and the test sweeper running."""
    settings.SYNC_TIMING = timing.SYNC_TIMING
    settings.VENDOR_HTTP_TIMEOUT = timing.VENDOR_HTTP_TIMEOUT
    settings.PUBLIC_BASE_URL = live_server.url
    settings.MEDIA_ROOT = cluster.var_dir / "media"
    clients.clear_cache()
    if not cluster.running:
        cluster.start()
    with VendorEmulator(Datasets.load(real_data)) as emulator:
        run = E2E(emulator, cluster, live_server)
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
