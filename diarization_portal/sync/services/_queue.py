"""Enqueue sync tasks on the django-q2 cluster after commit (HackSoftware styleguide)."""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django_q.tasks import async_task

TASKS = "diarization_portal.sync.tasks"


def enqueue(task: str, *args: int) -> None:
    """Run ``tasks.<task>(*args)`` on the django-q2 cluster once the current transaction
    commits (at once outside a transaction). ``args`` are primary keys."""
    transaction.on_commit(partial(async_task, f"{TASKS}.{task}", *args))
