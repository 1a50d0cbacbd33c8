"""Fixtures for the tutor's unit tests: a small curriculum of our own (the real one is still
being written), the in-memory fake sidecar (`learnflow.testing`), the offline agent, and the app
over ASGI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from learnflow.curriculum import Catalog
from learnflow.llm.offline import OfflineModel
from learnflow.settings import Settings
from learnflow.testing import FakeSidecar
from tests.agents.tutor.sample_curriculum import build_catalog
from tutor_agent.agent import build_tutor_agent
from tutor_agent.main import create_app
from tutor_agent.offline_policy import TutorPolicy


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return build_catalog()


@pytest.fixture
def sidecar() -> FakeSidecar:
    return FakeSidecar()


@pytest.fixture
def offline_agent() -> Any:
    return build_tutor_agent(model=OfflineModel(TutorPolicy()))


@pytest.fixture
def app(catalog: Catalog, sidecar: FakeSidecar, offline_agent: Any) -> FastAPI:
    """The tutor app with its sidecar replaced by the in-memory fake (no lifespan needed)."""
    settings = Settings(llm_base_url=None)
    application = create_app(settings)
    application.state.sidecar = sidecar
    application.state.events = sidecar  # the outbox: what the tutor queued
    application.state.tutor_catalog = catalog
    application.state.tutor_agent = offline_agent
    return application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tutor") as http:
        yield http
