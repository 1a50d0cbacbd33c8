"""How activities are declared, and what they may use.

    @activity(wf_session.GRADE)
    async def grade_session_work(payload: GradeInput) -> GradeOutput: ...

An activity is declared with its `ActivitySpec` (name, input model, output model; see
`activity_models`): the runtime hands it plain JSON, which is validated into the input model
before the activity runs, and the model it returns goes back as JSON. It runs at least once per
attempt, on the workflow worker's own event loop (not the web app's), so it opens what it needs
per call: a database connection (`database()`), the app's sidecar (`sidecar()`). Its payload
carries `timeout_s`; an attempt that takes longer fails and is retried by the calling step's
policy.

Errors: a `LearnFlowError` that is the caller's fault (4xx: invalid input, not found, conflict,
rejected upstream) cannot get better by retrying, so it ends the step at once
(`NonRetryableError`); anything else (a dependency down, a timeout) is retried. An input that
does not fit the activity's model is such an error (`InvalidActivityInput`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from pydantic import ValidationError

from learnflow.db.pool import Conn, connect, database_conninfo
from learnflow.errors import InvalidInput, LearnFlowError
from learnflow.settings import Settings
from learnflow.sidecar import Sidecar, UpstreamRejected
from learnflow.workflows.activity_models import ActivitySpec, In, Out

WireActivity = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
"""An activity as the runtime calls it: a JSON object in, a JSON object out. Untyped on
purpose: this is the wire, and the activity's spec models type both of its sides."""

ACTIVITIES: dict[str, WireActivity] = {}
"""Every activity by its registered name (filled by the modules that declare them)."""

SPECS: dict[str, ActivitySpec[Any, Any]] = {}
"""Every activity's spec (its models) by its registered name."""

DEFAULT_TIMEOUT_S = 45.0


class NonRetryableError(Exception):
    """Ends a step without retries. The name matters: the workflow SDK matches on it."""


class ActivityTimeout(Exception):
    """An attempt took longer than its `timeout_s` (retried)."""


class InvalidActivityInput(InvalidInput):
    """The payload does not fit the activity's input model: no retry can fix it."""


def _permanent(exc: BaseException) -> bool:
    if isinstance(exc, UpstreamRejected):
        return True
    return isinstance(exc, LearnFlowError) and 400 <= exc.status_code < 500


def _timeout_s(payload: object) -> float:
    given = payload.get("timeout_s") if isinstance(payload, dict) else None
    return float(given or DEFAULT_TIMEOUT_S)


def _input(spec: ActivitySpec[In, Out], payload: object) -> In:
    try:
        return spec.input.model_validate(payload)
    except ValidationError as exc:
        raise InvalidActivityInput(
            f"{spec} got an input that does not fit {spec.input.__name__}: {exc}"
        ) from exc


def activity(
    spec: ActivitySpec[In, Out],
) -> Callable[[Callable[[In], Awaitable[Out]]], Callable[[In], Awaitable[Out]]]:
    """Declare an activity under its spec's name, with its timeout and error classification.

    The function itself is returned unchanged (typed, for direct use); `ACTIVITIES` gets the
    JSON-level callable the runtime registers.
    """
    name = str(spec)

    def declare(fn: Callable[[In], Awaitable[Out]]) -> Callable[[In], Awaitable[Out]]:
        async def run(payload: dict[str, Any]) -> dict[str, Any]:
            timeout_s = _timeout_s(payload)
            try:
                async with asyncio.timeout(timeout_s):
                    result = await fn(_input(spec, payload))
            except TimeoutError as exc:
                raise ActivityTimeout(f"{name} did not finish within {timeout_s:g} s") from exc
            except Exception as exc:
                if _permanent(exc):
                    message = getattr(exc, "message", str(exc))
                    raise NonRetryableError(f"{type(exc).__name__}: {message}") from exc
                raise
            dumped: dict[str, Any] = result.model_dump(mode="json")
            return dumped

        run.__name__ = fn.__name__
        run.__doc__ = fn.__doc__
        if name in ACTIVITIES:
            raise ValueError(f"two activities are named {name!r}")
        ACTIVITIES[name] = run
        SPECS[name] = spec
        return fn

    return declare


_settings: Settings | None = None


def use_settings(settings: Settings) -> None:
    """The settings every activity of this process uses (its database, its sidecar): the
    workflow host hands them over when it starts, as an app hands its routes theirs."""
    global _settings
    _settings = settings


def current_settings() -> Settings:
    if _settings is None:
        raise RuntimeError(
            "workflow activities have no settings: the workflow host (or a test) must call "
            "learnflow.workflows.activities.use_settings(settings) first"
        )
    return _settings


@asynccontextmanager
async def database() -> AsyncIterator[Conn]:
    """One connection and transaction: committed when the block ends, rolled back on error."""
    conn = await connect(database_conninfo(current_settings()))
    async with conn:
        yield conn


@asynccontextmanager
async def sidecar() -> AsyncIterator[Sidecar]:
    client = Sidecar(current_settings())
    try:
        yield client
    finally:
        await client.aclose()
