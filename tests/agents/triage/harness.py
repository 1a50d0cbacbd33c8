"""What triage's in-process tests share besides fixtures: the handles the fixtures of
tests/agents/triage/conftest.py yield (`Chat`, `Mesh`, `People`, `RecordedWorkflows`), the demo
logins, and helpers to sign a learner in or serve triage on a fake daprd. A plain module, so
tests import it and never a conftest."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from learnflow.auth.tokens import issue_token
from learnflow.db.models import Role
from learnflow.settings import Settings
from learnflow.workflows import activities
from learnflow.workflows import session as wf_session
from tests.agents.triage.fakes import FakeDapr
from triage_agent import bucket_actor
from triage_agent.identity import DEMO_LOGINS_FILE
from triage_agent.main import create_app as create_triage

MAYA, JAMES, TEACHER = "maya@learnflow.dev", "james@learnflow.dev", "rodriguez@learnflow.dev"


SECRET = "triage-tests-secret-" + "0123456789" * 4


def app_settings(**values: Any) -> Settings:
    """An app's settings in these tests: their JWT secret, no model endpoint (the offline
    model) and no demo password (each demo user gets a random one), whatever the environment
    says; `values` on top."""
    defaults: dict[str, Any] = {"jwt_secret": SECRET, "llm_base_url": None, "demo_password": None}
    return Settings(**(defaults | values))


def activities_use(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    """Workflow activities run outside any app, with the settings the workflow host hands
    them (`learnflow.workflows.activities.use_settings`): hand them `settings` for this test."""
    monkeypatch.setattr(activities, "_settings", settings)


def bearer(user_id: UUID, role: Role, **kwargs: object) -> dict[str, str]:
    settings = app_settings()
    token = issue_token(user_id=user_id, role=role, settings=settings, **kwargs)  # type: ignore[arg-type]
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Chat:
    client: httpx.AsyncClient
    dapr: FakeDapr


@asynccontextmanager
async def serve_triage(
    dapr: FakeDapr,
    *,
    timeout_s: float | None = None,
    settings: Settings | None = None,
    actors: bool = False,
) -> AsyncIterator[httpx.AsyncClient]:
    """Triage without a database, its daprd the fake `dapr` (`timeout_s`: its invoke timeout);
    yields a client of its public API. With `actors`, it hosts the rate-limit buckets (and
    so has rate limits): the first triage served on `dapr` with actors is their host."""
    app = create_triage(settings or app_settings(app_id="triage"), database=False, actors=actors)
    if actors:
        dapr.actor_hosts.setdefault(bucket_actor.ACTOR_TYPE, app)
    async with app.router.lifespan_context(app):
        app.state.sidecar = dapr.sidecar(timeout_s=timeout_s)
        app.state.events = dapr  # no database: the fake stands in for the outbox too
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://triage") as client:
            yield client


def read_logins(run_dir: Path) -> dict[str, str]:
    """email -> password, as triage wrote them at start-up."""
    body = json.loads((run_dir / DEMO_LOGINS_FILE).read_text())
    return {user["email"]: user["password"] for user in body["users"]}


@dataclass
class Mesh:
    triage: FastAPI
    debrief: FastAPI
    client: httpx.AsyncClient
    dapr: FakeDapr
    run_dir: Path

    def logins(self) -> dict[str, str]:
        return read_logins(self.run_dir)

    async def login(self, email: str) -> dict[str, str]:
        response = await self.client.post(
            "/auth/login", json={"email": email, "password": self.logins()[email]}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}


def triage_settings(db_url: str, run_dir: Path, **extra: object) -> Settings:
    return app_settings(database_url=db_url, run_dir=run_dir, app_id="triage", **extra)


@dataclass
class RecordedWorkflows:
    """Stands in for the Dapr workflow client: records what the routes ask of the engine."""

    started: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    async def get(self, instance_id: str) -> None:
        return None

    async def start(self, workflow: str, instance_id: str, payload: BaseModel) -> bool:
        new = instance_id not in self.started
        self.started.setdefault(
            instance_id, {"workflow": workflow, **payload.model_dump(mode="json")}
        )
        return new

    async def raise_event(self, instance_id: str, name: str, event: BaseModel) -> None:
        assert name == wf_session.EVENT
        self.events.append((instance_id, event.model_dump(mode="json")))

    async def close(self) -> None:
        return None


@dataclass
class People:
    """Authorization headers of the demo teacher and two demo students."""

    teacher: dict[str, str]
    maya: dict[str, str]
    james: dict[str, str]
