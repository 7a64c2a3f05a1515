"""Small timing helpers for the benchmarks (wall clock, best/median of repeats)."""
from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    box: list[float] = []
    start = time.perf_counter()
    yield box
    box.append(time.perf_counter() - start)


def repeat(fn: Callable[[], object], times: int = 5) -> tuple[float, float]:
    """(median, best) seconds over `times` runs, after one warm-up."""
    fn()
    samples = []
    for _ in range(times):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), min(samples)


def line(label: str, value: str) -> None:
    print(f"  {label:<58} {value}", flush=True)
