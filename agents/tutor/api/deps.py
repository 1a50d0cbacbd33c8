"""Dependency aliases of the tutor's routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from learnflow.curriculum import Catalog
from learnflow.settings import Settings

from ..agent import build_tutor_agent
from ..exercises import default_catalog
from ..service import TutorService


def _tutor(request: Request) -> TutorService:
    """A `TutorService` over the app's sidecar and outbox (`app.state.events`). The catalog and
    the agent are shared; an app (or a test) may set `app.state.tutor_catalog` /
    `app.state.tutor_agent` to replace them. The agent is built from the app's settings on the
    first request that needs it."""
    state = request.app.state
    catalog: Catalog = getattr(state, "tutor_catalog", None) or default_catalog()
    settings: Settings = state.settings
    agent = getattr(state, "tutor_agent", None)
    if agent is None:
        agent = state.tutor_agent = build_tutor_agent(settings=settings)
    return TutorService(
        state.sidecar,
        catalog,
        agent,
        offline=settings.uses_offline_model,
        events=state.events,
        leak_check_timeout_s=settings.tutor_leak_check_timeout_s,
        settings=settings,
    )


TutorDep = Annotated[TutorService, Depends(_tutor)]
