"""The triage app: the learner-facing edge of the mesh (Dapr app id `triage`).

Every route is public (the edge API) and authenticates its caller with a JWT, except
`POST /auth/login`, which issues them.
"""

from __future__ import annotations

from fastapi import FastAPI

from learnflow.api.service import create_service_app
from learnflow.settings import Settings
from triage_agent import identity
from triage_agent.api.routes import alerts, auth, chat, classes, code, progress


def create_app(settings: Settings | None = None, *, database: bool = True) -> FastAPI:
    """The app; `database=False` leaves out the pool and seeding (only /auth needs them)."""
    return create_service_app(
        "triage",
        public_routers=[
            chat.router,
            code.router,
            auth.router,
            progress.router,
            classes.router,
            alerts.router,
        ],
        on_startup=[identity.open_database] if database else [],
        on_shutdown=[identity.close_database] if database else [],
        settings=settings,
    )


app = create_app()
