"""The tutor agent app (Dapr app id `tutor`): exercises, hints, grading and code review."""

from __future__ import annotations

from fastapi import FastAPI

from learnflow.api.service import create_service_app
from learnflow.settings import Settings

from .api.routes import exercises, grade, quizzes, respond


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        "tutor",
        routers=[respond.router, exercises.router, grade.router, quizzes.router],
        settings=settings,
    )


app = create_app()
