"""Enrollment through triage's public routes (real PostgreSQL; the workflow start recorded):
a teacher opens a class, students join with its code, the rules answer 4xx and write nothing."""

from __future__ import annotations

from tests.agents.triage.harness import MAYA, Mesh, People, RecordedWorkflows


async def test_join_with_a_code_then_a_second_join_and_a_full_class_are_refused(
    mesh: Mesh, workflows: RecordedWorkflows, people: People
) -> None:
    teacher, maya_h, james_h = people.teacher, people.maya, people.james
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
    mesh: Mesh, workflows: RecordedWorkflows, people: People
) -> None:
    teacher, maya = people.teacher, people.maya
    opened = await mesh.client.post("/classes", json={"name": "Mine"}, headers=teacher)
    class_id = opened.json()["class_id"]

    as_student = await mesh.client.post("/classes", json={"name": "Hers"}, headers=maya)
    peek = await mesh.client.get(f"/classes/{class_id}/admission", headers=maya)

    assert (as_student.status_code, peek.status_code) == (403, 403)
