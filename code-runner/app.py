"""The `code-runner` Dapr app: POST /run and POST /tests, publishing `code.executed`.

    uvicorn code_runner.app:app --port 8005

Startup checks the sandbox (SandboxUnavailable stops the app with one line saying why) and
fills the warm pool; the same process-wide runner serves the MCP tools when both run together.
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI

from code_runner.api.routes import run, tests
from code_runner.sandbox import get_runner
from code_runner.sandbox.runner import Runner
from learnflow.api.service import create_service_app
from learnflow.settings import Settings
from learnflow.sidecar import Sidecar

log = logging.getLogger("code_runner.app")


def create_app(
    runner: Runner | None = None,
    settings: Settings | None = None,
    sidecar: Sidecar | None = None,
) -> FastAPI:
    """The app. Tests pass their own started `runner` (else the process-wide one is used) and
    a fake `sidecar` (else the app's real one talks to daprd)."""

    async def start_runner(app: FastAPI) -> None:
        app.state.runner = runner if runner is not None else await asyncio.to_thread(get_runner)
        if sidecar is not None:
            await app.state.sidecar.aclose()
            app.state.sidecar = sidecar

    return create_service_app(
        "code-runner",
        routers=[run.router, tests.router],
        on_startup=[start_runner],
        settings=settings,
    )


app = create_app()
