"""Timing and reporting helpers shared by the benchmark modules."""

from __future__ import annotations

import math
import statistics
import timeit

#: Every figure reported in this session, printed again in the terminal summary.
FIGURES: list[str] = []


def report(line: str) -> None:
    """Print one ``BENCH ...`` figure now (visible with ``-s``) and again in the summary."""
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
