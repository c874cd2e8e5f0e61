"""Timings of the vendor sync, in seconds: retry backoff, poll intervals, leases, give-up ages.

Every value has a production default (:data:`DEFAULTS`). ``settings.SYNC_TIMING``, a dict of
``{name: seconds}``, overrides some of them; it is read on every call, so a test can change it
with pytest-django's ``settings`` fixture. Example (the end-to-end tests run a whole job in
seconds this way)::

    SYNC_TIMING = {"backoff_min": 0.3, "backoff_max": 1.0, "poll_min": 0.2, "poll_max": 0.5,
                   "lease_submit": 5.0, "lease_poll": 5.0, "lease_import": 5.0}

Names (defaults):

* ``backoff_min`` (5), ``backoff_max`` (60): wait after a failed attempt, doubling from the
  minimum up to the maximum (:func:`~diarization_portal.sync.services.backoff`);
* ``retry_after_max`` (3600): the longest vendor ``Retry-After`` honoured;
* ``poll_min`` (5), ``poll_max`` (30): poll interval, growing with the job's age
  (vendor-apis.md 1.7);
* ``lease_submit`` (600), ``lease_poll`` (120), ``lease_import`` (600): how long a worker holds a
  job it claimed for a step; longer than the slowest vendor call of that step. When a worker
  dies, the sweeper takes the job up again once the lease has run out;
* ``max_age`` (43200, 12 h): a vendor job still unfinished this long after submission fails;
* ``deepaffects_stale`` (1800): without a DeepAffects webhook this long after submission, the
  job is submitted again (vendor-apis.md 4.3).

An unknown name or a value that is not a positive number raises ImproperlyConfigured.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULTS: dict[str, float] = {
    "backoff_min": 5.0,
    "backoff_max": 60.0,
    "retry_after_max": 3600.0,
    "poll_min": 5.0,
    "poll_max": 30.0,
    "lease_submit": 600.0,
    "lease_poll": 120.0,
    "lease_import": 600.0,
    "max_age": 12 * 3600.0,
    "deepaffects_stale": 30 * 60.0,
}


def seconds(name: str) -> float:
    """The timing ``name`` of :data:`DEFAULTS` in seconds, after ``settings.SYNC_TIMING``.

    Raises KeyError for a name not in :data:`DEFAULTS` and ImproperlyConfigured when
    ``SYNC_TIMING`` is not a dict, names an unknown timing or gives a non-positive value.
    """
    default = DEFAULTS[name]
    overrides = getattr(settings, "SYNC_TIMING", None) or {}
    if not isinstance(overrides, dict):
        raise ImproperlyConfigured("SYNC_TIMING must be a dict of {name: seconds}")
    unknown = sorted(set(overrides) - set(DEFAULTS))
    if unknown:
        raise ImproperlyConfigured(
            f"SYNC_TIMING: unknown timing {unknown[0]!r}; known: {', '.join(DEFAULTS)}"
        )
    value = overrides.get(name, default)
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ImproperlyConfigured(f"SYNC_TIMING[{name!r}] must be a positive number of seconds")
    return float(value)
