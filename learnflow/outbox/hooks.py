"""An app's outbox at start-up and shutdown (FastAPI hooks for `create_service_app`).

    start, stop = outbox_hooks("tutor", open_database=True)
    create_service_app("tutor", ..., on_startup=[..., start], on_shutdown=[..., stop])

`start` sets `app.state.events` (an `OutboxSink` over the app's pool) and starts the app's relay
as a background task; with `open_database=True` it first opens a small pool of its own
(`app.state.pool`) without waiting for PostgreSQL, so the app starts even while the database is
away and answers 503 until it is back. Apps that open their pool themselves (migrations first)
put this hook after theirs.

The relay has its own database connection, so a publish that waits on an absent broker never
holds a connection a request needs; it publishes through the app's sidecar (`app.state.sidecar`,
looked up at each publish, so a test can swap in a fake).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack

from fastapi import FastAPI

from learnflow.db.pool import database_conninfo, open_pool
from learnflow.outbox.publisher import SidecarPublisher
from learnflow.outbox.relay import Relay
from learnflow.outbox.sink import OutboxSink
from learnflow.settings import Settings

Hook = Callable[[FastAPI], Awaitable[None]]


def outbox_hooks(app_id: str, *, open_database: bool = False) -> tuple[Hook, Hook]:
    async def start(app: FastAPI) -> None:
        settings: Settings = app.state.settings
        conninfo = database_conninfo(settings)
        owner = settings.app_id or app_id  # the relay publishes the rows queued for it
        if open_database:
            stack = AsyncExitStack()
            app.state.outbox_db_stack = stack
            app.state.pool = await stack.enter_async_context(
                open_pool(
                    conninfo,
                    max_size=4,
                    wait=False,
                    acquire_timeout_s=settings.db_acquire_timeout_s,
                    name=app_id,
                )
            )
        app.state.events = OutboxSink(app.state.pool, app_id=owner)
        relay = Relay(
            app_id=owner,
            conninfo=conninfo,
            publisher=SidecarPublisher(lambda: app.state.sidecar),
            poll_s=settings.outbox_poll_s,
        )
        app.state.outbox_relay = relay
        app.state.outbox_task = asyncio.create_task(relay.run(), name=f"outbox-relay:{app_id}")

    async def stop(app: FastAPI) -> None:
        task: asyncio.Task[None] | None = getattr(app.state, "outbox_task", None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        stack: AsyncExitStack | None = getattr(app.state, "outbox_db_stack", None)
        if stack is not None:
            await stack.aclose()

    return start, stop
