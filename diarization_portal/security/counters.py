"""Fixed-window request counters that count every hit exactly once, however many web
processes and threads hit the same key at the same moment.

A window of ``period`` seconds starts at the multiples of ``period`` of Unix time. Where the
count is kept (setting ``API_THROTTLE_STORE``):

* ``"cache"`` (the default when ``REDIS_URL`` is set): Django's default cache,
  ``cache.add(key, 0)`` then ``cache.incr(key)`` — with Redis, ``SET NX`` and ``INCRBY``, atomic
  and shared by every process; the key expires with its window. (A local-memory cache counts
  atomically too, under its lock, but only within one process: the test suite's choice.)
* ``"database"`` (the default otherwise): one
  :class:`~diarization_portal.api.models.ThrottleWindow` row per key, counted with ``UPDATE …
  SET count = count + 1`` (the row stays locked until the count is read back in the same
  transaction), shared by every web process. The default configuration's local-memory cache
  is per process: gunicorn's workers would each keep their own count.
"""

from __future__ import annotations

import math
import time

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Value, When

from diarization_portal.api.models import ThrottleWindow

CACHE_PREFIX = "throttle"
# Rows of keys not hit for a day are deleted when a new key's row is created.
STALE_AFTER = 24 * 3600


def uses_cache() -> bool:
    """True when the counts are kept in Django's default cache, False for the database."""
    return settings.API_THROTTLE_STORE == "cache"


def _window(period: int, now: float) -> tuple[int, int]:
    """(window start as Unix seconds, whole seconds until the window ends, at least 1)."""
    start = int(now // period) * period
    return start, max(1, math.ceil(start + period - now))


def hit(key: str, period: int, *, now: float | None = None) -> tuple[int, int]:
    """Count one hit on ``key`` (at most 200 characters) in its current ``period``-second
    window. Returns ``(count, retry_after)``: the window's count including this hit, and the
    seconds until the window ends."""
    now = time.time() if now is None else now
    start, remaining = _window(period, now)
    if uses_cache():
        return _cache_hit(key, start, period), remaining
    return _db_hit(key, start), remaining


def peek(key: str, period: int, *, now: float | None = None) -> tuple[int, int]:
    """The current window's count of ``key`` without counting a hit: ``(count, retry_after)``
    as in :func:`hit`."""
    now = time.time() if now is None else now
    start, remaining = _window(period, now)
    if uses_cache():
        return int(cache.get(f"{CACHE_PREFIX}:{key}:{start}", 0)), remaining
    row = ThrottleWindow.objects.filter(key=key, window_start=start).values_list("count").first()
    return (row[0] if row else 0), remaining


def _cache_hit(key: str, start: int, period: int) -> int:
    cache_key = f"{CACHE_PREFIX}:{key}:{start}"
    for _ in range(3):
        cache.add(cache_key, 0, timeout=period + 5)
        try:
            return cache.incr(cache_key)
        except ValueError:  # expired between add and incr: add it again
            continue
    raise RuntimeError(f"throttle key {cache_key} keeps expiring")


@transaction.atomic
def _db_hit(key: str, start: int) -> int:
    rows = ThrottleWindow.objects.filter(key=key)
    bump = {
        "count": Case(When(window_start=start, then=F("count") + 1), default=Value(1)),
        "window_start": start,
    }
    if not rows.update(**bump):
        try:
            with transaction.atomic():
                ThrottleWindow.objects.create(key=key, window_start=start, count=1)
            ThrottleWindow.objects.filter(window_start__lt=start - STALE_AFTER).delete()
            return 1
        except IntegrityError:  # another request created the row first: count on it
            rows.update(**bump)
    return rows.values_list("count", flat=True).get()
