"""The debrief agent app (Dapr app id `debrief`): progress, alerts, debriefs and reports."""

from __future__ import annotations

from fastapi import FastAPI

from debrief_agent import lifecycle
from debrief_agent.api.routes import (
    alerts,
    classes,
    dead_letters,
    events,
    quizzes,
    respond,
    sessions,
    students,
    summaries,
    teaching,
)
from learnflow.api.service import create_service_app
from learnflow.outbox import outbox_hooks
from learnflow.settings import Settings

TICK_EVERY_S = 60.0


def create_app(
    settings: Settings | None = None, *, tick_every_s: float | None = TICK_EVERY_S
) -> FastAPI:
    """The app; `tick_every_s=None` turns the periodic struggle check off (tests call it)."""
    start_outbox, stop_outbox = outbox_hooks("debrief")
    on_startup: list[lifecycle.Hook] = [
        lifecycle.open_database,
        lifecycle.start_agent,
        start_outbox,
    ]
    on_shutdown: list[lifecycle.Hook] = [lifecycle.close_database, stop_outbox]
    if tick_every_s is not None:
        start, stop = lifecycle.ticker(tick_every_s)
        on_startup.append(start)
        on_shutdown.append(stop)
    return create_service_app(
        "debrief",
        routers=[
            respond.router,
            events.router,
            dead_letters.router,
            sessions.router,
            students.router,
            classes.router,
            alerts.router,
            quizzes.router,
            summaries.router,
            teaching.router,
        ],
        on_startup=on_startup,
        on_shutdown=on_shutdown,
        settings=settings,
    )


app = create_app()
