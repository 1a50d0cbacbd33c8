"""How activities are declared, and what they may use.

    @activity("grade_session_work")
    async def grade(payload: dict[str, Any]) -> dict[str, Any]: ...

An activity takes and returns plain JSON. It runs at least once per attempt, on the workflow
worker's own event loop (not the web app's), so it opens what it needs per call: a database
connection (`database()`), the app's sidecar (`sidecar()`). Its payload carries `timeout_s`; an
attempt that takes longer fails and is retried by the calling step's policy.

Errors: a `LearnFlowError` that is the caller's fault (4xx: invalid input, not found, conflict,
rejected upstream) cannot get better by retrying, so it ends the step at once
(`NonRetryableError`); anything else (a dependency down, a timeout) is retried.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from learnflow.db.pool import Conn, connect
from learnflow.errors import LearnFlowError
from learnflow.settings import get_settings
from learnflow.sidecar import Sidecar, UpstreamRejected

ActivityFn = Callable[[dict[str, Any]], Awaitable[Any]]

ACTIVITIES: dict[str, ActivityFn] = {}
"""Every activity by its registered name (filled by the modules that declare them)."""

DEFAULT_TIMEOUT_S = 45.0


class NonRetryableError(Exception):
    """Ends a step without retries. The name matters: the workflow SDK matches on it."""


class ActivityTimeout(Exception):
    """An attempt took longer than its `timeout_s` (retried)."""


def _permanent(exc: BaseException) -> bool:
    if isinstance(exc, UpstreamRejected):
        return True
    return isinstance(exc, LearnFlowError) and 400 <= exc.status_code < 500


def activity(name: str) -> Callable[[ActivityFn], ActivityFn]:
    """Declare an activity under `name`, with its timeout and error classification."""

    def declare(fn: ActivityFn) -> ActivityFn:
        async def run(payload: dict[str, Any]) -> Any:
            timeout_s = float(payload.get("timeout_s") or DEFAULT_TIMEOUT_S)
            try:
                async with asyncio.timeout(timeout_s):
                    return await fn(payload)
            except TimeoutError as exc:
                raise ActivityTimeout(f"{name} did not finish within {timeout_s:g} s") from exc
            except Exception as exc:
                if _permanent(exc):
                    message = getattr(exc, "message", str(exc))
                    raise NonRetryableError(f"{type(exc).__name__}: {message}") from exc
                raise

        run.__name__ = fn.__name__
        run.__doc__ = fn.__doc__
        if name in ACTIVITIES:
            raise ValueError(f"two activities are named {name!r}")
        ACTIVITIES[name] = run
        return run

    return declare


@asynccontextmanager
async def database() -> AsyncIterator[Conn]:
    """One connection and transaction: committed when the block ends, rolled back on error."""
    conn = await connect()
    async with conn:
        yield conn


@asynccontextmanager
async def sidecar() -> AsyncIterator[Sidecar]:
    client = Sidecar(get_settings())
    try:
        yield client
    finally:
        await client.aclose()
