"""The django-q2 queue as tests see it, whichever broker the run uses (the ORM broker on SQLite,
Redis on the production stack; see :mod:`tests.settings`).

The ORM broker's queue is a table, emptied with the rest of the database between tests; the
Redis queue is not, so :func:`purge` runs before every test (``tests/conftest.py``).
"""

from __future__ import annotations

from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.signing import SignedPackage


def uses_redis() -> bool:
    """True when tasks go through Redis (``REDIS_URL`` set), False for the ORM broker."""
    return Conf.ORM is None  # django-q2 falls back to Redis when no other broker is set


def queued_tasks() -> list[dict]:
    """Every task waiting in the run's queue, oldest first: django-q2's task dicts
    (``func``: dotted name, ``args``: tuple, ``id``, ``name``, ...)."""
    broker = get_broker()
    if uses_redis():
        payloads = broker.connection.lrange(broker.list_key, 0, -1)
    else:
        payloads = (
            broker.get_connection()
            .filter(key=broker.list_key)
            .order_by("pk")
            .values_list("payload", flat=True)
        )
    return [SignedPackage.loads(payload) for payload in payloads]


def queued() -> list[tuple[str, tuple]]:
    """``(task name, args)`` of every waiting task, oldest first; the name is the last part
    of the dotted function name (``submit_job``)."""
    return [(task["func"].rsplit(".", 1)[-1], tuple(task["args"])) for task in queued_tasks()]


def queue_size() -> int:
    """How many tasks wait in the run's queue (locked ORM tasks included)."""
    broker = get_broker()
    if uses_redis():
        return broker.queue_size()
    return broker.get_connection().filter(key=broker.list_key).count()


def purge() -> None:
    """Empty the run's queue."""
    get_broker().purge_queue()
