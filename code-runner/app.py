"""The `code-runner` Dapr app: POST /run and POST /tests, queuing `code.executed`.

    uvicorn code_runner.app:app --port 8005

Startup checks the sandbox (SandboxUnavailable stops the app with one line saying why) and
fills the warm pool; the same process-wide runner serves the MCP tools when both run together.
Each run's `code.executed` goes to the app's outbox (`learnflow.outbox`), published by its relay.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI

from code_runner.api.routes import run, tests
from code_runner.sandbox import get_runner
from code_runner.sandbox.runner import Runner
from learnflow.api.service import create_service_app
from learnflow.outbox import EventSink, outbox_hooks
from learnflow.settings import Settings
from learnflow.sidecar import Sidecar

log = logging.getLogger("code_runner.app")


def create_app(
    runner: Runner | None = None,
    settings: Settings | None = None,
    sidecar: Sidecar | None = None,
    events: EventSink | None = None,
) -> FastAPI:
    """The app. Tests pass their own started `runner` (else the process-wide one is used), a
    fake `sidecar` (else the app's real one talks to daprd) and a fake outbox `events` (else the
    app opens its database pool and runs its outbox relay)."""

    async def start_runner(app: FastAPI) -> None:
        app.state.runner = runner if runner is not None else await asyncio.to_thread(get_runner)
        if sidecar is not None:
            await app.state.sidecar.aclose()
            app.state.sidecar = sidecar
        if events is not None:
            app.state.events = events

    on_startup: list[Callable[[FastAPI], Awaitable[None]]] = [start_runner]
    on_shutdown: list[Callable[[FastAPI], Awaitable[None]]] = []
    if events is None:
        start_outbox, stop_outbox = outbox_hooks("code-runner", open_database=True)
        on_startup.append(start_outbox)
        on_shutdown.append(stop_outbox)
    return create_service_app(
        "code-runner",
        routers=[run.router, tests.router],
        on_startup=on_startup,
        on_shutdown=on_shutdown,
        settings=settings,
    )


app = create_app()
