"""The debrief app in-process: a real PostgreSQL database (the throwaway cluster of
tests/plugins/postgres.py), the app's own lifespan, and a scripted fake daprd behind its real
`Sidecar`.

The app's outbox relay is real but driven by the test client: after every response it publishes
what the request queued (`Relay.drain`), so a test sees the events a request caused as soon as
it has the answer, in a deterministic order.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest_asyncio

from debrief_agent.main import create_app
from learnflow.db.models import Role
from learnflow.db.pool import Pool
from learnflow.db.repos.classes import create_class, enroll
from learnflow.outbox import Relay
from learnflow.settings import Settings
from tests.agents.debrief.harness import Debrief, School
from tests.agents.triage.fakes import FakeDapr
from tests.learnflow.db.factories import make_user


async def _school(pool: Pool) -> School:
    async with pool.connection() as conn:
        teacher = await make_user(conn, Role.TEACHER, "Mr Rodriguez")
        other_teacher = await make_user(conn, Role.TEACHER, "Ms Other")
        maya = await make_user(conn, Role.STUDENT, "Maya")
        james = await make_user(conn, Role.STUDENT, "James")
        outsider = await make_user(conn, Role.STUDENT, "Olivia")
        school_class = await create_class(conn, name="Python 101", teacher_id=teacher.id)
        other_class = await create_class(conn, name="Python 102", teacher_id=other_teacher.id)
        for student in (maya, james):
            await enroll(conn, class_id=school_class.id, student_id=student.id)
        await enroll(conn, class_id=other_class.id, student_id=outsider.id)
    return School(teacher, other_teacher, maya, james, outsider, school_class, other_class)


@pytest_asyncio.fixture
async def debrief(db_url: str) -> AsyncIterator[Debrief]:
    # no model endpoint, whatever the environment says: the agent runs on the offline model
    settings = Settings(database_url=db_url, app_id="debrief", llm_base_url=None)
    app = create_app(settings, tick_every_s=None)
    dapr = FakeDapr()
    async with app.router.lifespan_context(app):
        app.state.sidecar = dapr.sidecar()
        relay: Relay = app.state.outbox_relay
        app.state.outbox_task.cancel()  # the client drives the relay (see the module's doc)
        with contextlib.suppress(asyncio.CancelledError):
            await app.state.outbox_task

        async def relay_what_was_queued(_: httpx.Response) -> None:
            await relay.drain()

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://debrief",
            event_hooks={"response": [relay_what_was_queued]},
        ) as client:
            school = await _school(app.state.pool)
            yield Debrief(app, client, dapr, app.state.pool, school)
