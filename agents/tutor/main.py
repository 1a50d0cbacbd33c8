"""The tutor agent app (Dapr app id `tutor`): exercises, hints, grading and code review."""

from __future__ import annotations

from fastapi import FastAPI

from learnflow.api.service import create_service_app
from learnflow.outbox import outbox_hooks
from learnflow.settings import Settings

from .api.routes import exercises, grade, quizzes, respond


def create_app(settings: Settings | None = None) -> FastAPI:
    # the outbox's pool is the tutor's only database use: its session state is in Dapr's store
    start_outbox, stop_outbox = outbox_hooks("tutor", open_database=True)
    return create_service_app(
        "tutor",
        routers=[respond.router, exercises.router, grade.router, quizzes.router],
        on_startup=[start_outbox],
        on_shutdown=[stop_outbox],
        settings=settings,
    )


app = create_app()
