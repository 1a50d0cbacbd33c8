"""The handles the debrief app's in-process fixture yields (tests/agents/debrief/conftest.py):
`Debrief` (the app, a client, its fake daprd, its database pool and a seeded `School`). A plain
module, so tests import it and never a conftest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

from learnflow.db.models import SchoolClass, User
from learnflow.db.pool import Pool
from learnflow.events import Event, to_wire
from tests.agents.triage.fakes import FakeDapr


@dataclass
class School:
    teacher: User
    other_teacher: User
    maya: User
    james: User
    outsider: User  # a student in another teacher's class
    school_class: SchoolClass
    other_class: SchoolClass


@dataclass
class Debrief:
    app: FastAPI
    client: httpx.AsyncClient
    dapr: FakeDapr
    pool: Pool
    school: School

    def as_user(self, user: User) -> dict[str, str]:
        return {"x-learnflow-user": str(user.id), "x-learnflow-role": user.role.value}

    async def deliver(self, event: Event) -> httpx.Response:
        """Deliver `event` the way Dapr does: a CloudEvent to the subscription's route."""
        route = "/events/" + event.topic.replace(".", "-")
        response = await self.client.post(route, json={"data": to_wire(event)})
        assert response.status_code == 200, response.text
        return response

    async def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        async with self.pool.connection() as conn:
            cur = await conn.execute(query, params)
            return await cur.fetchall() if cur.description is not None else []

    async def count(self, table: str, student: User) -> int:
        rows = await self.sql(f"select count(*) from {table} where student_id = %s", student.id)
        return int(rows[0][0])
