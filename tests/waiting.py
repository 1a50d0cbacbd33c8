"""Waiting on observable state instead of sleeping a fixed time."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio

T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[T | None]],
    *,
    timeout_s: float = 30.0,
    every_s: float = 0.1,
    what: str = "condition",
) -> T:
    """Poll `probe` until it returns something truthy; fail with `what` after `timeout_s`."""
    last: T | None = None
    try:
        with anyio.fail_after(timeout_s):
            while True:
                last = await probe()
                if last:
                    return last
                await anyio.sleep(every_s)
    except TimeoutError as exc:
        raise AssertionError(
            f"timed out after {timeout_s} s waiting for {what}; last: {last!r}"
        ) from exc


def eventually_sync(
    probe: Callable[[], T | None],
    *,
    timeout_s: float = 30.0,
    every_s: float = 0.1,
    what: str = "condition",
) -> T:
    deadline = time.monotonic() + timeout_s
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(every_s)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}; last: {last!r}")
