"""Triage in-process, behind a fake daprd (`fakes.FakeDapr`).

- `chat`: triage without a database, specialists scripted;
- `mesh`: triage with its database (demo class seeded into a throwaway PostgreSQL) and the real
  debrief app registered behind the fake daprd, so public routes run through both apps;
- `workflows`: the workflow engine behind `mesh`'s triage replaced by a recorder;
- `people`: the demo teacher and two demo students logged in through `mesh` (their headers).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from debrief_agent.main import create_app as create_debrief
from learnflow.auth.tokens import issue_token
from learnflow.db.models import Role
from learnflow.settings import Settings, get_settings
from learnflow.workflows import session as wf_session
from tests.agents.triage.fakes import FakeDapr
from tests.learnflow.db.conftest import db_url, pg_cluster, template_db
from triage_agent import bucket_actor
from triage_agent.identity import DEMO_LOGINS_FILE
from triage_agent.main import create_app as create_triage
from triage_agent.workflow_runtime import WorkflowHost

__all__ = ["db_url", "pg_cluster", "template_db"]  # the PostgreSQL fixtures, reused

SECRET = "triage-tests-secret-" + "0123456789" * 4


@pytest.fixture(autouse=True)
def jwt_secret(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tokens are verified with the process settings: give them a secret, no model endpoint."""
    monkeypatch.setenv("LEARNFLOW_JWT_SECRET", SECRET)
    monkeypatch.delenv("LEARNFLOW_DEMO_PASSWORD", raising=False)
    monkeypatch.delenv("LEARNFLOW_LLM_BASE_URL", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def bearer(user_id: UUID, role: Role, **kwargs: object) -> dict[str, str]:
    token = issue_token(user_id=user_id, role=role, **kwargs)  # type: ignore[arg-type]
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
    app = create_triage(settings or Settings(app_id="triage"), database=False, actors=actors)
    if actors:
        dapr.actor_hosts.setdefault(bucket_actor.ACTOR_TYPE, app)
    async with app.router.lifespan_context(app):
        app.state.sidecar = dapr.sidecar(timeout_s=timeout_s)
        app.state.events = dapr  # no database: the fake stands in for the outbox too
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://triage") as client:
            yield client


@pytest_asyncio.fixture
async def chat() -> AsyncIterator[Chat]:
    dapr = FakeDapr()
    for agent in ("concepts", "tutor", "debrief"):
        dapr.answer(agent, "respond", {"reply": f"({agent}) ok", "sources": []})
    async with serve_triage(dapr) as client:
        yield Chat(client, dapr)


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
    return Settings(database_url=db_url, run_dir=run_dir, app_id="triage", **extra)  # type: ignore[arg-type]


@pytest_asyncio.fixture
async def mesh(db_url: str, tmp_path: Path) -> AsyncIterator[Mesh]:
    run_dir = tmp_path / "run"
    triage = create_triage(triage_settings(db_url, run_dir), workflows=False)
    debrief = create_debrief(Settings(database_url=db_url, app_id="debrief"), tick_every_s=None)
    dapr = FakeDapr(apps={"debrief": debrief})
    async with triage.router.lifespan_context(triage), debrief.router.lifespan_context(debrief):
        triage.state.sidecar = dapr.sidecar()
        debrief.state.sidecar = dapr.sidecar()
        transport = httpx.ASGITransport(app=triage)
        async with httpx.AsyncClient(transport=transport, base_url="http://triage") as client:
            yield Mesh(triage, debrief, client, dapr, run_dir)


MAYA, JAMES, TEACHER = "maya@learnflow.dev", "james@learnflow.dev", "rodriguez@learnflow.dev"


@dataclass
class RecordedWorkflows:
    """Stands in for the Dapr workflow client: records what the routes ask of the engine."""

    started: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    async def get(self, instance_id: str) -> None:
        return None

    async def start(self, workflow: str, instance_id: str, payload: dict[str, Any]) -> bool:
        new = instance_id not in self.started
        self.started.setdefault(instance_id, {"workflow": workflow, **payload})
        return new

    async def raise_event(self, instance_id: str, name: str, data: dict[str, Any]) -> None:
        assert name == wf_session.EVENT
        self.events.append((instance_id, data))

    async def close(self) -> None:
        return None


@pytest.fixture
def workflows(mesh: Mesh) -> RecordedWorkflows:
    host = WorkflowHost(mesh.triage.state.settings)
    recorder = RecordedWorkflows()
    host.client = recorder  # type: ignore[assignment]
    host._ready.set()
    mesh.triage.state.workflows = host
    return recorder


@dataclass
class People:
    """Authorization headers of the demo teacher and two demo students."""

    teacher: dict[str, str]
    maya: dict[str, str]
    james: dict[str, str]


@pytest_asyncio.fixture
async def people(mesh: Mesh) -> People:
    return People(*[await mesh.login(who) for who in (TEACHER, MAYA, JAMES)])
