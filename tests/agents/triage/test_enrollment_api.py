"""Enrollment through triage's public routes (real PostgreSQL; the workflow start recorded):
a teacher opens a class, students join with its code, the rules answer 4xx and write nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.agents.triage.conftest import Mesh
from triage_agent.workflow_runtime import WorkflowHost

MAYA, JAMES, TEACHER = "maya@learnflow.dev", "james@learnflow.dev", "rodriguez@learnflow.dev"


@dataclass
class StartedWorkflows:
    started: dict[str, dict[str, Any]] = field(default_factory=dict)

    async def get(self, instance_id: str) -> None:
        return None

    async def start(self, workflow: str, instance_id: str, payload: dict[str, Any]) -> bool:
        new = instance_id not in self.started
        self.started.setdefault(instance_id, {"workflow": workflow, **payload})
        return new

    async def close(self) -> None:
        return None


def _workflows(mesh: Mesh) -> StartedWorkflows:
    host = WorkflowHost(mesh.triage.state.settings)
    recorder = StartedWorkflows()
    host.client = recorder  # type: ignore[assignment]
    host._ready.set()
    mesh.triage.state.workflows = host
    return recorder


async def test_join_with_a_code_then_a_second_join_and_a_full_class_are_refused(
    mesh: Mesh,
) -> None:
    workflows = _workflows(mesh)
    teacher, maya_h, james_h = [await mesh.login(who) for who in (TEACHER, MAYA, JAMES)]
    opened = await mesh.client.post(
        "/classes", json={"name": "Evening Python", "capacity": 1}, headers=teacher
    )
    assert opened.status_code == 201, opened.text
    code, class_id = opened.json()["join_code"], opened.json()["class_id"]

    joined = await mesh.client.post("/classes/join", json={"code": code}, headers=maya_h)
    again = await mesh.client.post("/classes/join", json={"code": code}, headers=maya_h)
    full = await mesh.client.post("/classes/join", json={"code": code}, headers=james_h)
    unknown = await mesh.client.post("/classes/join", json={"code": "ZZZZ-ZZZZ"}, headers=james_h)

    assert joined.status_code == 201, joined.text
    assert joined.json()["message"] == "You joined Evening Python."
    ((instance, job),) = workflows.started.items()
    assert instance == joined.json()["workflow_id"] and job["workflow"] == "enrollment"
    assert (again.status_code, full.status_code, unknown.status_code) == (409, 409, 404)
    assert "already in 'Evening Python'" in again.json()["message"]
    assert "is full (1 students)" in full.json()["message"]
    assert "No class has the join code ZZZZ-ZZZZ" in unknown.json()["message"]
    view = await mesh.client.get(f"/classes/{class_id}/admission", headers=teacher)
    assert [r["email"] for r in view.json()["roster"]] == [MAYA]


async def test_another_teachers_class_and_a_student_opening_a_class_are_refused(
    mesh: Mesh,
) -> None:
    _workflows(mesh)
    teacher, maya = await mesh.login(TEACHER), await mesh.login(MAYA)
    opened = await mesh.client.post("/classes", json={"name": "Mine"}, headers=teacher)
    class_id = opened.json()["class_id"]

    as_student = await mesh.client.post("/classes", json={"name": "Hers"}, headers=maya)
    peek = await mesh.client.get(f"/classes/{class_id}/admission", headers=maya)

    assert (as_student.status_code, peek.status_code) == (403, 403)
