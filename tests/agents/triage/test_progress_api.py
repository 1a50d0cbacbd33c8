"""Triage's public progress, class and alert routes, running through the real debrief app
behind the fake daprd: JWT checks here, relationship checks there, the principal in between."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from debrief_agent.progress_consumer import consume_event
from learnflow.db.models import Role
from learnflow.db.repos.dead_letters import record_dead_letter
from learnflow.events import CodeExecuted
from tests.agents.triage.harness import Mesh, bearer
from tests.learnflow.db.factories import make_user

MAYA, JAMES, TEACHER = "maya@learnflow.dev", "james@learnflow.dev", "rodriguez@learnflow.dev"


async def _user_id(mesh: Mesh, email: str) -> str:
    async with mesh.triage.state.pool.connection() as conn:
        cur = await conn.execute("select id from users where email = %s", (email,))
        row = await cur.fetchone()
    assert row is not None
    return str(row[0])


async def _class_id(mesh: Mesh) -> str:
    headers = await mesh.login(TEACHER)
    (school_class,) = (await mesh.client.get("/classes", headers=headers)).json()
    return str(school_class["id"])


async def _struggle(mesh: Mesh, email: str) -> None:
    """Three TypeErrors on one exercise, as the code runner would announce them."""
    student = await _user_id(mesh, email)
    start = datetime.now(UTC) - timedelta(minutes=10)
    for minute in range(3):
        event = CodeExecuted(
            user_id=student,
            occurred_at=start + timedelta(minutes=minute),
            submission_id=str(uuid.uuid4()),
            exercise_id="data-structures.squares",
            status="error",
            duration_ms=3,
            error_type="TypeError",
        )
        await consume_event(mesh.debrief.state.pool, event)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/progress/me"),
        ("GET", f"/students/{uuid.uuid4()}/progress"),
        ("GET", "/exercises/next"),
        ("GET", "/classes"),
        ("GET", f"/classes/{uuid.uuid4()}/overview"),
        ("GET", "/alerts"),
        ("POST", f"/alerts/{uuid.uuid4()}/resolve"),
        ("GET", "/ops/dead-letters"),
        ("GET", "/auth/me"),
    ],
)
async def test_every_route_needs_a_token(mesh: Mesh, method: str, path: str) -> None:
    response = await mesh.client.request(method, path)
    assert response.status_code == 401
    assert "POST /auth/login" in response.json()["message"]
    assert mesh.dapr.invocations == []


async def test_my_progress_is_read_by_debrief_as_me(mesh: Mesh) -> None:
    headers = await mesh.login(MAYA)
    maya = await _user_id(mesh, MAYA)

    response = await mesh.client.get("/progress/me", headers=headers)

    assert response.status_code == 200, response.text
    assert response.json()["student_id"] == maya
    assert response.json()["topics"][1]["label"] == "Module 2: Control Flow — 0%"
    (call,) = mesh.dapr.invocations
    assert (call.app_id, call.method) == ("debrief", f"students/{maya}/progress")
    assert call.headers["x-learnflow-user"] == maya
    assert call.headers["x-learnflow-role"] == "student"


async def test_a_client_cannot_pass_itself_off_as_someone_else(mesh: Mesh) -> None:
    maya = await _user_id(mesh, MAYA)
    headers = await mesh.login(JAMES) | {"x-learnflow-user": maya, "x-learnflow-role": "admin"}

    mine = await mesh.client.get("/progress/me", headers=headers)
    hers = await mesh.client.get(f"/students/{maya}/progress", headers=headers)

    assert mine.json()["display_name"] == "James"
    assert hers.status_code == 403
    assert hers.json()["error"] == "forbidden"
    assert "only your own progress" in hers.json()["message"]


async def test_a_teacher_sees_the_progress_of_their_students(mesh: Mesh) -> None:
    maya = await _user_id(mesh, MAYA)
    headers = await mesh.login(TEACHER)
    assert (await mesh.client.get(f"/students/{maya}/progress", headers=headers)).status_code == 200
    mine = await mesh.client.get("/progress/me", headers=headers)
    assert mine.status_code == 403
    assert "the student role; you are signed in as a teacher" in mine.json()["message"]


async def test_next_exercise(mesh: Mesh) -> None:
    response = await mesh.client.get("/exercises/next", headers=await mesh.login(JAMES))
    assert response.status_code == 200, response.text
    assert response.json()["exercise"]["difficulty"] == "easy"


async def test_class_overview_is_for_the_teacher_of_the_class(mesh: Mesh) -> None:
    class_id = await _class_id(mesh)
    teacher = await mesh.login(TEACHER)

    overview = await mesh.client.get(f"/classes/{class_id}/overview", headers=teacher)
    student = await mesh.client.get(f"/classes/{class_id}/overview", headers=await mesh.login(MAYA))
    unknown = await mesh.client.get(f"/classes/{uuid.uuid4()}/overview", headers=teacher)
    malformed = await mesh.client.get("/classes/not-a-uuid/overview", headers=teacher)

    assert overview.status_code == 200, overview.text
    assert sorted(s["display_name"] for s in overview.json()["students"]) == ["James", "Maya"]
    assert student.status_code == 403
    assert "teacher" in student.json()["message"]
    assert unknown.status_code == 404
    assert unknown.json()["message"].startswith("No class with id")
    assert malformed.status_code == 422


async def test_teachers_get_alerts_and_resolve_them_students_get_403(mesh: Mesh) -> None:
    await _struggle(mesh, JAMES)
    teacher = await mesh.login(TEACHER)

    alerts = await mesh.client.get("/alerts", headers=teacher)
    student = await mesh.client.get("/alerts", headers=await mesh.login(JAMES))

    assert alerts.status_code == 200, alerts.text
    (alert,) = alerts.json()
    assert (alert["student_name"], alert["trigger"]) == ("James", "repeated_error")
    assert student.status_code == 403
    body: dict[str, Any] = student.json()
    assert "teacher" in body["message"] and body["required_roles"] == ["teacher", "admin"]

    resolved = await mesh.client.post(f"/alerts/{alert['id']}/resolve", headers=teacher)
    assert resolved.status_code == 200
    assert resolved.json()["status"] == "resolved"
    assert (await mesh.client.get("/alerts", headers=teacher)).json() == []
    missing = await mesh.client.post(f"/alerts/{uuid.uuid4()}/resolve", headers=teacher)
    assert missing.status_code == 404


async def test_reports_for_teachers(mesh: Mesh) -> None:
    await _struggle(mesh, JAMES)
    james = await _user_id(mesh, JAMES)
    teacher = await mesh.login(TEACHER)

    student = await mesh.client.get(f"/students/{james}/report", headers=teacher)
    klass = await mesh.client.get(f"/classes/{await _class_id(mesh)}/report", headers=teacher)
    forbidden = await mesh.client.get(f"/students/{james}/report", headers=await mesh.login(JAMES))

    assert student.status_code == 200 and student.json()["error_types"] == {"TypeError": 3}
    assert klass.status_code == 200 and klass.json()["needs_attention"][0]["display_name"] == (
        "James"
    )
    assert forbidden.status_code == 403


async def test_how_am_i_doing_through_chat_reaches_debrief_as_me(mesh: Mesh) -> None:
    headers = await mesh.login(MAYA)
    response = await mesh.client.post(
        "/chat", json={"message": "How am I doing? show my progress"}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["routed_to"] == "debrief"
    assert "Maya, you have no graded work stored yet" in response.json()["reply"]


async def test_the_dead_letter_record_is_for_admins(mesh: Mesh) -> None:
    async with mesh.debrief.state.pool.connection() as conn:
        admin = await make_user(conn, Role.ADMIN)
        await record_dead_letter(
            conn,
            topic="code.executed.dlq",
            event_id="e-1",
            event_type="learnflow.code.executed.v1",
            event_source="code-runner",
            reason="there is no LearnFlow user x",
            dead_lettered_by="debrief",
        )

    teacher = await mesh.client.get("/ops/dead-letters", headers=await mesh.login(TEACHER))
    assert teacher.status_code == 403
    assert "the admin role; you are signed in as a teacher" in teacher.json()["message"]
    assert mesh.dapr.invocations == []

    seen = await mesh.client.get("/ops/dead-letters?limit=5", headers=bearer(admin.id, Role.ADMIN))
    assert seen.status_code == 200, seen.text
    assert seen.json()["counts"] == {"code.executed.dlq": 1}
    assert seen.json()["recent"][0]["event_id"] == "e-1"
    (call,) = mesh.dapr.invocations
    assert (call.app_id, call.method) == ("debrief", "ops/dead-letters")
    assert call.headers["x-learnflow-role"] == "admin"
