"""Triage in-process, behind a fake daprd (`fakes.FakeDapr`); the handles these fixtures yield
are in `harness.py`.

- `chat`: triage without a database, specialists scripted;
- `mesh`: triage with its database (demo class seeded into a throwaway PostgreSQL) and the real
  debrief app registered behind the fake daprd, so public routes run through both apps;
- `workflows`: the workflow engine behind `mesh`'s triage replaced by a recorder;
- `people`: the demo teacher and two demo students logged in through `mesh` (their headers).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from debrief_agent.main import create_app as create_debrief
from tests.agents.triage.fakes import FakeDapr
from tests.agents.triage.harness import (
    JAMES,
    MAYA,
    TEACHER,
    Chat,
    Mesh,
    People,
    RecordedWorkflows,
    app_settings,
    serve_triage,
    triage_settings,
)
from triage_agent.main import create_app as create_triage
from triage_agent.workflow_runtime import WorkflowHost


@pytest_asyncio.fixture
async def chat() -> AsyncIterator[Chat]:
    dapr = FakeDapr()
    for agent in ("concepts", "tutor", "debrief"):
        dapr.answer(agent, "respond", {"reply": f"({agent}) ok", "sources": []})
    async with serve_triage(dapr) as client:
        yield Chat(client, dapr)


@pytest_asyncio.fixture
async def mesh(db_url: str, tmp_path: Path) -> AsyncIterator[Mesh]:
    run_dir = tmp_path / "run"
    triage = create_triage(triage_settings(db_url, run_dir), workflows=False)
    debrief = create_debrief(app_settings(database_url=db_url, app_id="debrief"), tick_every_s=None)
    dapr = FakeDapr(apps={"debrief": debrief})
    async with triage.router.lifespan_context(triage), debrief.router.lifespan_context(debrief):
        triage.state.sidecar = dapr.sidecar()
        debrief.state.sidecar = dapr.sidecar()
        transport = httpx.ASGITransport(app=triage)
        async with httpx.AsyncClient(transport=transport, base_url="http://triage") as client:
            yield Mesh(triage, debrief, client, dapr, run_dir)


@pytest.fixture
def workflows(mesh: Mesh) -> RecordedWorkflows:
    host = WorkflowHost(mesh.triage.state.settings)
    recorder = RecordedWorkflows()
    host.client = recorder  # type: ignore[assignment]
    host._ready.set()
    mesh.triage.state.workflows = host
    return recorder


@pytest_asyncio.fixture
async def people(mesh: Mesh) -> People:
    return People(*[await mesh.login(who) for who in (TEACHER, MAYA, JAMES)])
