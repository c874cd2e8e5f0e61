"""The django-q2 brokers of the end-to-end clusters, and what the tests read of them.

The clusters (:mod:`tests.e2e.cluster_settings`) use the run's broker (the ORM broker on
SQLite, Redis on the production stack) through a subclass that delivers tasks exactly as the
broker does and adds two things the tests need:

* every task a cluster takes from the queue and every task it acknowledges is logged to that
  cluster's log (``e2e broker: took <ack> import_job(12)``, ``e2e broker: done <ack>``), so that
  a test can tell which cluster holds a job's step (:func:`held`) and which clusters worked;
* on Redis, a task a cluster took stays in that cluster's *in-flight* list
  (``<queue>:in-flight:<cluster>``) until its result is saved and acknowledged, as the ORM
  broker keeps a taken task's row (locked) until then. Redis itself keeps nothing of a taken
  task: when its cluster dies the task is lost, never handed out again. The in-flight list is
  bookkeeping only: nothing is redelivered from it. The tests read it to know when every task
  enqueued so far has finished (:func:`unfinished`), and drop it when its cluster is killed
  (:func:`drop_taken`).

The ORM broker hands a dead cluster's task out again once ``Q_CLUSTER["retry"]`` seconds have
passed since it was taken (its row stays, locked until then).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable

from django.utils import timezone
from django_q.brokers import get_broker
from django_q.brokers.orm import ORM
from django_q.brokers.redis_broker import Redis
from django_q.signing import BadSignature, SignedPackage

from tests import broker as run_broker

#: The environment variable naming a cluster (``a``, ``b``) in its own process.
CLUSTER_ENV = "E2E_CLUSTER"
logger = logging.getLogger(__name__)
_TOOK = re.compile(r"^e2e broker: took (\S+) (\w+)\((.*)\)$", re.M)
_DONE = re.compile(r"^e2e broker: done (\S+)$", re.M)


def _task(payload) -> dict | None:
    try:
        return SignedPackage.loads(payload)
    except (BadSignature, TypeError, ValueError):
        return None


def describe(task: dict | None) -> str:
    """``import_job(12)``: a task's function name and arguments."""
    if task is None:
        return "unreadable()"
    func = task.get("func", "")
    name = func.rsplit(".", 1)[-1] if isinstance(func, str) else getattr(func, "__name__", "?")
    return f"{name}({', '.join(repr(a) for a in task.get('args', ()))})"


class TracedORM(ORM):
    """django-q2's ORM broker that logs the tasks it hands out and acknowledges."""

    def dequeue(self):
        tasks = super().dequeue()
        for ack, payload in tasks or ():
            logger.info("e2e broker: took %s %s", ack, describe(_task(payload)))
        return tasks

    def acknowledge(self, task_id):
        logger.info("e2e broker: done %s", task_id)
        return super().acknowledge(task_id)


def in_flight_key(list_key: str, cluster: str) -> str:
    """The Redis list of the tasks cluster ``cluster`` took from the queue ``list_key`` and
    has not acknowledged yet."""
    return f"{list_key}:in-flight:{cluster}"


class InFlightRedis(Redis):
    """django-q2's Redis broker (one task per ``dequeue``, gone from the queue once taken)
    that keeps each task it took in the cluster's in-flight list until acknowledged, and
    logs both. The acknowledgement id is the task's payload."""

    def __init__(self, list_key: str | None = None) -> None:
        super().__init__(list_key)
        self.in_flight_key = in_flight_key(self.list_key, os.environ.get(CLUSTER_ENV, "-"))

    def dequeue(self):
        payload = self.connection.blmove(self.list_key, self.in_flight_key, 1, "LEFT", "RIGHT")
        if payload is None:
            return None
        task = _task(payload)
        logger.info("e2e broker: took %s %s", (task or {}).get("id", "-"), describe(task))
        return [(payload, payload)]

    def acknowledge(self, task_id) -> None:
        if task_id:
            self.connection.lrem(self.in_flight_key, 1, task_id)
            logger.info("e2e broker: done %s", (_task(task_id) or {}).get("id", "-"))

    def fail(self, task_id) -> None:
        self.acknowledge(task_id)


# -- what the tests read ------------------------------------------------------------------


def unfinished() -> int:
    """Tasks enqueued and not finished yet: waiting in the queue, or taken by a cluster and
    not acknowledged (the ORM broker's locked rows; on Redis the clusters' in-flight lists)."""
    size = run_broker.queue_size()
    if run_broker.uses_redis():
        queue = get_broker()
        keys = list(queue.connection.scan_iter(match=in_flight_key(queue.list_key, "*")))
        size += sum(queue.connection.llen(key) for key in keys)
    return size


def drop_taken(cluster: str) -> list[str]:
    """Forget the tasks a killed cluster had taken: on Redis its in-flight list (the tasks
    themselves were lost with it), with the ORM broker the taken (locked) rows, which would
    otherwise be handed out again after ``Q_CLUSTER["retry"]`` seconds. Returns them
    (:func:`describe`). With the ORM broker only one cluster may be running."""
    queue = get_broker()
    if run_broker.uses_redis():
        key = in_flight_key(queue.list_key, cluster)
        payloads = queue.connection.lrange(key, 0, -1)
        queue.connection.delete(key)
    else:
        taken = queue.get_connection().filter(key=queue.list_key, lock__gt=timezone.now())
        payloads = list(taken.values_list("payload", flat=True))
        taken.delete()
    return [describe(_task(p)) for p in payloads]


def held(log: str, task: str) -> bool:
    """True when the cluster ``log`` says it took a task described ``task``
    (``"import_job(12)"``) and has not acknowledged it: the cluster is running it (or holds
    it in its own queue)."""
    name, _, args = task.partition("(")
    taken = {ack for ack, n, a in _TOOK.findall(log) if n == name and f"{a})" == args}
    return bool(taken - set(_DONE.findall(log)))


def tasks_taken(log: str) -> list[str]:
    """Every task the cluster ``log`` says it took (:func:`describe`), in order."""
    return [f"{name}({args})" for _ack, name, args in _TOOK.findall(log)]


def names(tasks: Iterable[str]) -> set[str]:
    """The function names of described tasks."""
    return {t.partition("(")[0] for t in tasks}
