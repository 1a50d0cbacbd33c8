"""Progress and struggle alerts from real events: published through a Dapr sidecar, carried by
Kafka, consumed by debrief into PostgreSQL, announced on Kafka, seen by the teacher through
triage — no fakes."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from learnflow.auth.tokens import issue_token
from learnflow.db.models import Role
from learnflow.events import CodeExecuted, Event, ExerciseGraded
from learnflow.settings import Settings
from learnflow.sidecar import Sidecar
from tests.integration.harness import Mesh
from tests.integration.test_walking_skeleton import login
from tests.waiting import eventually, eventually_sync

pytestmark = pytest.mark.integration

MAYA = "maya@learnflow.dev"
TEACHER = "rodriguez@learnflow.dev"
EXERCISE = "data-structures.squares"
TOPIC = "data-structures"


def _user_id(mesh: Mesh, email: str) -> str:
    return str(mesh.sql("SELECT id FROM users WHERE email = %s", email)[0][0])


def _new_student_of(mesh: Mesh, teacher_email: str) -> tuple[str, dict[str, str]]:
    """A student with no history, enrolled in the teacher's class, and a bearer token for them.
    (The demo students have a seeded history now, consumed while the stack starts: a test that
    checks exactly what its own events changed must not share their rows.)"""
    ((student_id,),) = mesh.sql(
        "INSERT INTO users (email, display_name, role, password_hash)"
        " VALUES (%s, 'Riley', 'student', 'x') RETURNING id",
        f"riley-{uuid.uuid4().hex[:10]}@it.learnflow.dev",
    )
    mesh.sql(
        "INSERT INTO enrollments (class_id, student_id)"
        " SELECT c.id, %s FROM classes c JOIN users t ON t.id = c.teacher_id"
        " WHERE t.email = %s ORDER BY c.created_at LIMIT 1 RETURNING class_id",
        student_id,
        teacher_email,
    )
    token = issue_token(
        user_id=student_id,
        role=Role.STUDENT,
        settings=Settings(jwt_secret=mesh.secrets.jwt_secret),
    )
    return str(student_id), {"Authorization": f"Bearer {token}"}


def _sidecar(mesh: Mesh, app_id: str) -> Sidecar:
    settings = Settings(
        app_id=app_id,
        dapr_http_port=mesh.topo.app(app_id).dapr_http_port,
        dapr_api_token=mesh.secrets.dapr_token(app_id),
    )
    return Sidecar(settings)


class _Publisher:
    """Publishes each event through the sidecar of the app that produces it (its `source`):
    Kafka's ACLs let only that app write the event's topic."""

    def __init__(self, mesh: Mesh) -> None:
        self.sidecars = {app: _sidecar(mesh, app) for app in ("code-runner", "tutor")}

    async def publish(self, event: Event) -> None:
        assert event.source is not None
        await self.sidecars[event.source].publish(event)

    async def aclose(self) -> None:
        for sidecar in self.sidecars.values():
            await sidecar.aclose()


def _publisher(mesh: Mesh) -> _Publisher:
    return _Publisher(mesh)


def _failed_run(student: str, submission: str) -> list[Event]:
    """One graded run that failed with a TypeError, as announced by the code runner and by the
    tutor (two events, one submission)."""
    return [
        CodeExecuted(
            source="code-runner",
            user_id=student,
            submission_id=submission,
            exercise_id=EXERCISE,
            status="error",
            exit_code=1,
            duration_ms=42,
            error_type="TypeError",
            code="def squares(xs):\n    return [x * x for x in xs] + 1\n",
        ),
        ExerciseGraded(
            source="tutor",
            user_id=student,
            submission_id=submission,
            exercise_id=EXERCISE,
            topic_id=TOPIC,
            passed=False,
            tests_passed=0,
            tests_total=4,
            error_type="TypeError",
        ),
    ]


def _snapshot(mesh: Mesh, student: str) -> dict[str, Any]:
    count = "SELECT count(*) FROM {} WHERE student_id = %s"
    return {
        table: mesh.sql(count.format(table), student)[0][0]
        for table in ("code_submissions", "exercise_attempts", "struggle_alerts")
    } | {
        "progress": mesh.sql(
            "SELECT mastery, updated_at FROM progress WHERE student_id = %s", student
        ),
        "struggle_state": mesh.sql(
            "SELECT state FROM struggle_states WHERE student_id = %s", student
        ),
        # this student's events only: the stack is shared, other tests' apps queue theirs
        "outbox": mesh.sql(
            "SELECT count(*) FROM event_outbox WHERE payload->>'user_id' = %s", student
        )[0][0],
    }


def _processed(mesh: Mesh, event_ids: list[str]) -> bool:
    rows = mesh.sql(
        "SELECT count(*) FROM processed_events WHERE consumer = 'debrief-progress'"
        " AND event_id = ANY(%s)",
        event_ids,
    )
    return bool(rows[0][0] == len(event_ids))


async def test_repeated_errors_become_progress_and_one_alert_the_teacher_sees(
    mesh: Mesh, http: httpx.AsyncClient
) -> None:
    james, james_bearer = _new_student_of(mesh, TEACHER)  # "James" of the story: no history
    publisher = _publisher(mesh)
    events = [e for _ in range(3) for e in _failed_run(james, str(uuid.uuid4()))]
    try:
        for event in events:
            await publisher.publish(event)

        async def all_processed() -> bool:
            return _processed(mesh, [e.id for e in events])

        await eventually(all_processed, timeout_s=60, what="debrief to consume the 6 events")

        progress = mesh.sql(
            "SELECT topic, exercise_score, mastery FROM progress WHERE student_id = %s", james
        )
        assert [row[0] for row in progress] == [TOPIC]
        alerts = mesh.sql(
            "SELECT trigger, topic, status, detail FROM struggle_alerts WHERE student_id = %s",
            james,
        )
        assert len(alerts) == 1
        assert alerts[0][:3] == ("repeated_error", TOPIC, "open")
        assert alerts[0][3].startswith("TypeError 3 times")
        detected = eventually_sync(
            lambda: mesh.kafka_events("struggle.detected", {"user_id": james}),
            timeout_s=30,
            what="struggle.detected on Kafka",
        )
        assert len(detected) == 1
        assert detected[0]["data"]["trigger"] == "repeated_error"  # type: ignore[index]
        updates = eventually_sync(
            lambda: mesh.kafka_events("progress.updated", {"user_id": james}),
            timeout_s=30,
            what="progress.updated on Kafka",
        )
        assert {u["data"]["topic_id"] for u in updates} == {TOPIC}  # type: ignore[index]

        # The same event id again changes nothing. To know it was consumed, a marker run of the
        # same student follows it on the same partition (Kafka keeps their order).
        before = _snapshot(mesh, james)
        marker = CodeExecuted(
            source="code-runner",
            user_id=james,
            submission_id=str(uuid.uuid4()),
            status="ok",
            exit_code=0,
            duration_ms=5,
        )
        await publisher.publish(events[-2])  # the code.executed that opened the alert
        await publisher.publish(marker)

        async def marker_processed() -> bool:
            return _processed(mesh, [marker.id])

        await eventually(marker_processed, timeout_s=60, what="the marker run")
        after = _snapshot(mesh, james)
        state = after.pop("struggle_state")[0][0]  # the marker, a passing run, changed it...
        assert state["error_types"]["TypeError"]["count"] == 3  # ...the duplicate did not
        del before["struggle_state"]
        assert after == before | {"code_submissions": before["code_submissions"] + 1}
        assert len(mesh.kafka_events("struggle.detected", {"user_id": james})) == 1
    finally:
        await publisher.aclose()

    # the teacher sees the alert through triage; a student gets 403 there
    teacher = mesh.dapr_headers | await login(http, mesh, TEACHER)
    response = await http.get(mesh.invoke_url("triage", "triage", "alerts"), headers=teacher)
    assert response.status_code == 200, response.text
    mine = [a for a in response.json() if a["student_id"] == james]
    assert [(a["student_name"], a["trigger"]) for a in mine] == [("Riley", "repeated_error")]
    student = mesh.dapr_headers | await login(http, mesh, MAYA)
    refused = await http.get(mesh.invoke_url("triage", "triage", "alerts"), headers=student)
    assert refused.status_code == 403
    assert "teacher" in refused.json()["message"]

    # and James's own progress shows the topic
    own = await http.get(
        mesh.invoke_url("triage", "triage", "progress/me"),
        headers=mesh.dapr_headers | james_bearer,
    )
    assert own.status_code == 200, own.text
    topic = next(t for t in own.json()["topics"] if t["topic"] == TOPIC)
    assert topic["started"] is True
    assert topic["label"].startswith("Module 3: Data Structures — ")


async def test_saying_im_stuck_twice_in_chat_alerts_the_teacher(
    mesh: Mesh, http: httpx.AsyncClient
) -> None:
    maya = _user_id(mesh, MAYA)
    headers = mesh.dapr_headers | await login(http, mesh, MAYA)
    session_id = f"it-{uuid.uuid4()}"
    for message in ("I'm stuck, I don't understand for loops", "still lost on for loops"):
        response = await http.post(
            mesh.invoke_url("triage", "triage", "chat"),
            json={"message": message, "session_id": session_id},
            headers=headers,
        )
        assert response.status_code == 200, response.text

    async def confused_alert() -> list[tuple[Any, ...]]:
        return mesh.sql(
            "SELECT trigger, detail FROM struggle_alerts WHERE student_id = %s"
            " AND trigger = 'says_confused'",
            maya,
        )

    alerts = await eventually(confused_alert, timeout_s=60, what="a says_confused alert")
    assert alerts == [("says_confused", "Said they are stuck or lost 2 times.")]
