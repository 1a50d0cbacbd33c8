"""Start-up and shutdown of the debrief app: database, agent, and the periodic struggle check.

- `open_database`: apply pending migrations (safe when every app does it at once), then open
  the app's async connection pool (`app.state.pool`);
- `start_agent`: the debrief agent (`app.state.agent`), on the configured model;
- `ticker(every_s)`: a background task that runs `progress_consumer.tick_once` — the "stuck on
  an exercise" trigger, which fires without new activity.

The events the app queues are published by its outbox relay (`learnflow.outbox.relay_hooks`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack

from fastapi import FastAPI

from debrief_agent.agent import build_debrief_agent
from debrief_agent.progress_consumer import tick_once
from learnflow.db import database_conninfo, migrate, open_pool

log = logging.getLogger("debrief.lifecycle")
Hook = Callable[[FastAPI], Awaitable[None]]


async def open_database(app: FastAPI) -> None:
    conninfo = database_conninfo(app.state.settings)
    applied = await migrate(conninfo)
    if applied:
        log.info("applied database migrations %s", ", ".join(applied))
    stack = AsyncExitStack()
    app.state.db_stack = stack
    app.state.pool = await stack.enter_async_context(
        open_pool(
            conninfo, acquire_timeout_s=app.state.settings.db_acquire_timeout_s, name="debrief"
        )
    )


async def close_database(app: FastAPI) -> None:
    stack: AsyncExitStack | None = getattr(app.state, "db_stack", None)
    if stack is not None:
        await stack.aclose()


async def start_agent(app: FastAPI) -> None:
    app.state.agent = build_debrief_agent(app.state.settings)


async def _tick_forever(app: FastAPI, every_s: float) -> None:
    while True:
        await asyncio.sleep(every_s)
        try:
            opened = await tick_once(app.state.pool)
        except Exception:  # keep ticking: the next round retries whatever failed
            log.exception("the periodic struggle check failed; retrying in %.0f s", every_s)
            continue
        if opened:
            log.info("the periodic struggle check opened %d alert(s)", opened)


def ticker(every_s: float) -> tuple[Hook, Hook]:
    async def start(app: FastAPI) -> None:
        app.state.ticker = asyncio.create_task(_tick_forever(app, every_s), name="struggle-tick")

    async def stop(app: FastAPI) -> None:
        task: asyncio.Task[None] | None = getattr(app.state, "ticker", None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return start, stop
