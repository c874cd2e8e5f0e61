"""Real django-q2 clusters (``manage.py qcluster``) in subprocesses, and the test-side sweeper.

Each cluster runs in its own process group so that :meth:`Cluster.kill` takes its workers,
monitor and pusher down with it (as a crash or ``kill -9`` of the machine would), and
:meth:`Cluster.stop` shuts it down cleanly. Its output goes to a log file of its own whose
tail failing tests print. :class:`Clusters` are the clusters of a run, all consuming the
run's queue.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from django.db import connection

from diarization_portal.sync import services

from . import brokers

REPO = Path(__file__).resolve().parents[2]
READY = "running."  # django-q2 logs "Q Cluster <name> running." once the guard loop starts
logger = logging.getLogger(__name__)


class Cluster:
    """``manage.py qcluster`` named ``name`` with ``env`` (settings module, database URL...)
    and its ``VAR_DIR`` ``var_dir``, logging to ``var_dir/qcluster-<name>.log``. Start with
    :meth:`start`; always end with :meth:`stop` or :meth:`kill`."""

    def __init__(self, env: dict[str, str], var_dir: Path, name: str = "a") -> None:
        self.name = name
        self.env = {**env, "VAR_DIR": str(var_dir), brokers.CLUSTER_ENV: name}
        self.var_dir = var_dir
        self.log_path = var_dir / f"qcluster-{name}.log"
        self.process: subprocess.Popen | None = None
        self.started_at = 0.0
        self.starts = 0
        self._offset = 0

    def start(self, timeout: float = 60.0) -> None:
        """Start a cluster and wait until its guard loop runs. Raises RuntimeError (with the
        log tail) when it exits or is not ready within ``timeout`` seconds."""
        self.launch()
        self.wait_ready(timeout)

    def launch(self) -> None:
        """Start the cluster's process without waiting for it (:meth:`wait_ready`)."""
        if self.running:
            raise RuntimeError(f"the cluster {self.name} is already running")
        self.starts += 1
        self._offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            log.write(f"\n===== qcluster {self.name} start #{self.starts} =====\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "qcluster"],
                cwd=REPO,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started_at = time.monotonic()

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Wait until the launched cluster's guard loop runs (see :meth:`start`)."""
        deadline = self.started_at + timeout
        while READY not in self.log():
            if self.process.poll() is not None:
                raise RuntimeError(f"qcluster exited with {self.process.returncode}\n{self.tail()}")
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"qcluster not ready after {timeout:g} s\n{self.tail()}")
            time.sleep(0.05)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole process group at once (no clean shutdown) and reap it."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self._wait_group_gone(self.process.pid)
        self.process = None

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM the cluster (it finishes running tasks and stops), SIGKILL the group if it
        is not gone after ``timeout`` seconds."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                logger.warning("qcluster ignored SIGTERM; killing it")
        self.kill()

    def tail(self, lines: int = 80) -> str:
        """The last ``lines`` lines of the cluster log."""
        if not self.log_path.exists():
            return f"(no qcluster {self.name} log)"
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join([f"qcluster {self.name} log (tail):", *text[-lines:]])

    def log(self, since: int = 0) -> str:
        """What the cluster logged since it was last started (and since byte ``since`` of
        its log file, :meth:`log_size`)."""
        return self._log_since(max(since, self._offset)) if self.log_path.exists() else ""

    def log_size(self) -> int:
        """The size of the log file in bytes (a mark for :meth:`log`)."""
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def holds(self, task: str) -> bool:
        """True when the running cluster took the task described ``task``
        (``"import_job(12)"``, :func:`brokers.describe`) and has not finished it."""
        return self.running and brokers.held(self.log(), task)

    def tasks_taken(self, since: int = 0) -> list[str]:
        """The tasks the cluster took since it was last started, and since byte ``since`` of
        its log (:func:`brokers.describe`)."""
        return brokers.tasks_taken(self.log(since))

    def _log_since(self, offset: int) -> str:
        with self.log_path.open("rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")

    @staticmethod
    def _wait_group_gone(pgid: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                return
            time.sleep(0.05)


class Clusters:
    """The clusters of a run (:class:`Cluster`), sharing one ``VAR_DIR`` (its ``media/`` holds
    uploaded recordings) and consuming the run's queue."""

    def __init__(self, env: dict[str, str], var_dir: Path, count: int) -> None:
        self.var_dir = var_dir
        self.members = [Cluster(env, var_dir, name) for name in "abcdefgh"[:count]]

    def __iter__(self):
        return iter(self.members)

    def __len__(self) -> int:
        return len(self.members)

    def __getitem__(self, index: int) -> Cluster:
        return self.members[index]

    @property
    def running(self) -> bool:
        """True when every cluster runs."""
        return all(cluster.running for cluster in self.members)

    def start(self) -> None:
        """Start the clusters that are not running (side by side) and wait until they run."""
        stopped = [cluster for cluster in self.members if not cluster.running]
        for cluster in stopped:
            cluster.launch()
        for cluster in stopped:
            cluster.wait_ready()

    def stop(self) -> None:
        """Stop every cluster (:meth:`Cluster.stop`), all at once."""
        threads = [threading.Thread(target=cluster.stop) for cluster in self.members]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def holding(self, task: str) -> list[Cluster]:
        """The running clusters that took ``task`` (``"import_job(12)"``) and have not
        finished it."""
        return [cluster for cluster in self.members if cluster.holds(task)]

    def tail(self, lines: int = 80) -> str:
        """The tail of every cluster's log."""
        return "\n".join(cluster.tail(lines) for cluster in self.members)


class Sweeper:
    """Runs :func:`services.jobs_sweep` every ``every`` seconds in a thread of the test
    process, as the clusters' schedule does every minute (django-q2 looks at schedules only
    every 30 s). The tasks it enqueues go to the clusters through the run's broker."""

    def __init__(self, every: float) -> None:
        self.every = every
        self.errors: list[str] = []
        self.sweeps = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Sweeper:
        self._thread = threading.Thread(target=self._run, name="e2e-sweeper", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.every):
                try:
                    services.jobs_sweep()
                    self.sweeps += 1
                except Exception as err:  # a locked database, say: report it, keep sweeping
                    self.errors.append(f"{type(err).__name__}: {err}")
        finally:
            connection.close()
