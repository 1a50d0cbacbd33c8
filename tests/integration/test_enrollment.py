"""Enrollment on the real stack: a teacher opens a class through triage's sidecar, a student
joins with its code, and the enrollment workflow runs on the real daprd (progress rows, the
welcome notification in PostgreSQL and on Kafka, the class figures); refusals write nothing."""

from __future__ import annotations

import httpx
import pytest

from learnflow.curriculum import load_catalog
from learnflow.db.models import Role
from tests.integration.harness import Mesh
from tests.integration.test_workflows import Api, make_person
from tests.waiting import eventually

pytestmark = pytest.mark.integration


async def test_join_runs_the_enrollment_workflow(mesh: Mesh, http: httpx.AsyncClient) -> None:
    teacher = Api(http, mesh, make_person(mesh, Role.TEACHER))
    student = Api(http, mesh, make_person(mesh, Role.STUDENT))
    late = Api(http, mesh, make_person(mesh, Role.STUDENT))

    opened = await teacher.post("/classes", {"name": "Integration Python", "capacity": 1})
    assert opened.status_code == 201, opened.text
    admission = opened.json()
    class_id, code = admission["class_id"], admission["join_code"]

    joined = await student.post("/classes/join", {"code": code.lower().replace("-", " ")})
    assert joined.status_code == 201, joined.text
    workflow_id = joined.json()["workflow_id"]

    async def figures() -> tuple[int, int] | None:
        rows = mesh.sql(
            "select enrolled, welcomed from class_figures where class_id = %s", class_id
        )
        return rows[0] if rows and rows[0] == (1, 1) else None

    await eventually(figures, timeout_s=90, every_s=0.5, what=f"{workflow_id} to finish")

    sid = student.person.id
    modules = {m.id for m in load_catalog().modules}
    topics = {r[0] for r in mesh.sql("select topic from progress where student_id = %s", sid)}
    assert topics == modules
    ((title, kind, notification_id),) = mesh.sql(
        "select title, kind, id::text from notifications where user_id = %s", sid
    )
    assert (title, kind) == ("Welcome to Integration Python", "class.welcome")
    published = mesh.kafka_events("notification.created", {"user_id": str(sid)})
    assert [e["data"]["notification_id"] for e in published] == [notification_id]

    again = await student.post("/classes/join", {"code": code})
    assert again.status_code == 409, again.text
    assert "already" in again.json()["message"]
    full = await late.post("/classes/join", {"code": code})
    assert full.status_code == 409, full.text
    assert full.json()["reason"] == "class_full"
    unknown = await late.post("/classes/join", {"code": "ABCD-EFGH"})
    assert unknown.status_code == 404, unknown.text
    assert mesh.sql("select count(*) from enrollments where class_id = %s", class_id) == [(1,)]
    assert mesh.sql("select count(*) from notifications where user_id = %s", late.person.id) == [
        (0,)
    ]
