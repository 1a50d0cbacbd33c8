"""Small helpers for latency figures."""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary_ms(samples_s: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in samples_s]
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), 3),
        "p95_ms": round(percentile(ms, 95), 3),
        "mean_ms": round(statistics.fmean(ms), 3) if ms else float("nan"),
    }


async def time_calls(
    call: Callable[[], Awaitable[object]], n: int, warmup: int = 10
) -> list[float]:
    for _ in range(warmup):
        await call()
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - started)
    return samples


async def interleaved(
    a: Callable[[], Awaitable[object]],
    b: Callable[[], Awaitable[object]],
    n: int,
    *,
    warmup: int,
) -> tuple[list[float], list[float]]:
    """n timed calls of each, one of each in turn (the order swapped every call), after `warmup`
    untimed calls of each: both sides see the same machine load."""
    for _ in range(warmup):
        await a()
        await b()
    samples: tuple[list[float], list[float]] = ([], [])
    for i in range(n):
        pair = ((0, a), (1, b)) if i % 2 == 0 else ((1, b), (0, a))
        for side, call in pair:
            started = time.perf_counter()
            await call()
            samples[side].append(time.perf_counter() - started)
    return samples
