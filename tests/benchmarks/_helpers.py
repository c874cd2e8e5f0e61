"""Timing and reporting helpers shared by the benchmark modules."""

from __future__ import annotations

import math
import statistics
import timeit

#: Every figure reported in this session, printed again in the terminal summary.
FIGURES: list[str] = []


def backend() -> str:
    """The database backend the figures are measured on: ``sqlite`` or ``postgresql``
    (Django's ``connection.vendor``, chosen by ``DATABASE_URL``)."""
    from django.db import connection

    return connection.vendor


def report(line: str) -> None:
    """Print one figure now (visible with ``-s``) and again in the summary.

    ``line`` starts with ``BENCH ``; the backend is inserted after it, so that every line
    reads ``BENCH <backend> <figure> ...`` (``BENCH postgresql rename_100k_ms median=...``).
    """
    line = line.replace("BENCH ", f"BENCH {backend()} ", 1)
    print(f"\n{line}", flush=True)
    FIGURES.append(line)


def median(values: list[float]) -> float:
    return statistics.median(values)


def p95(values: list[float]) -> float:
    """95th percentile, nearest-rank method (the 19th of 20 samples)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def cpu_calibration_ms() -> float:
    """Milliseconds for ``sum(i * i for i in range(1_000_000))``, best of 5: a yardstick of
    how fast this machine runs Python, to compare figures taken on different machines."""
    timer = timeit.Timer("sum(i * i for i in range(1_000_000))")
    return min(timer.repeat(repeat=5, number=1)) * 1000
