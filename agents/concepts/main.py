"""The concepts agent app (Dapr app id `concepts`): explains Python concepts from the lessons."""

from __future__ import annotations

from fastapi import FastAPI

from concepts_agent.agent import build_concepts_agent
from concepts_agent.api.routes import explain, respond
from learnflow.api.service import create_service_app
from learnflow.settings import Settings


async def _build_agent(app: FastAPI) -> None:
    # Built at start-up, so a broken curriculum file stops the app at once, naming the file.
    app.state.concepts_agent = build_concepts_agent(settings=app.state.settings)


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        "concepts",
        routers=[respond.router, explain.router],
        on_startup=[_build_agent],
        settings=settings,
    )


app = create_app()
