"""Timed exams on the real stack: the attempt's workflow runs on triage's daprd, its deadline is a
scheduler job, the exercise is graded in the real sandbox, the result lands in PostgreSQL.

- nobody is connected when the deadline passes: the attempt submits itself, the answered items
  are counted and the rest stand as unanswered;
- triage (app + daprd) is SIGKILLed mid-exam and stays down past the deadline: the answers
  accepted before the crash are kept, and the deadline fires when it is back.
"""

from __future__ import annotations

import signal
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import httpx
import pytest

from learnflow.db.models import Role
from tests.integration.harness import Mesh
from tests.integration.test_workflows import GREETING_RIGHT, Api, Person, make_person
from tests.waiting import eventually

pytestmark = pytest.mark.integration

ITEMS = [
    {"kind": "quiz", "id": "basics.q1"},  # right answer: 1
    {"kind": "quiz", "id": "basics.q2"},  # right answer: 2
    {"kind": "exercise", "id": "basics.greeting"},
    {"kind": "exercise", "id": "basics.is-even"},
]


def _class_with(mesh: Mesh, teacher: Person, *students: Person) -> str:
    ((class_id,),) = mesh.sql(
        "insert into classes (name, teacher_id) values (%s, %s) returning id",
        f"Exam class {uuid.uuid4().hex[:8]}",
        teacher.id,
    )
    for student in students:
        mesh.sql(
            "insert into enrollments (class_id, student_id) values (%s, %s) returning class_id",
            class_id,
            student.id,
        )
    return str(class_id)


async def _exam(teacher: Api, class_id: str, time_limit_s: int) -> str:
    made = await teacher.post(
        "/exams",
        {
            "class_id": class_id,
            "title": "Basics, timed",
            "items": ITEMS,
            "time_limit_s": time_limit_s,
            "closes_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
        },
    )
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


async def _start(student: Api, exam_id: str) -> dict[str, Any]:
    started = await student.post(f"/exams/{exam_id}/start", {})
    assert started.status_code == 201, started.text
    return started.json()["attempt"]  # type: ignore[no-any-return]


async def _answer(student: Api, exam_id: str, **body: Any) -> None:
    saved = await student.post(f"/exams/{exam_id}/answers", body)
    assert saved.status_code == 202, saved.text


async def _debrief(student: Api, exam_id: str, timeout_s: float = 90) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        response = await student.get(f"/exams/{exam_id}/debrief")
        return response.json() if response.status_code == 200 else None  # type: ignore[no-any-return]

    return await eventually(probe, timeout_s=timeout_s, every_s=0.25, what="the exam's debrief")


async def _answered(student: Api, exam_id: str, want: set[str]) -> None:
    async def probe() -> bool | None:
        body = (await student.get(f"/exams/{exam_id}")).json()
        return True if want <= set(body["attempt"]["answered"]) else None

    await eventually(probe, timeout_s=30, every_s=0.1, what=f"{sorted(want)} kept by the workflow")


async def test_an_exam_submits_itself_at_its_deadline_with_nobody_connected(
    mesh: Mesh, http: httpx.AsyncClient
) -> None:
    teacher_p, student_p = make_person(mesh, Role.TEACHER), make_person(mesh, Role.STUDENT)
    teacher, student = Api(http, mesh, teacher_p), Api(http, mesh, student_p)
    exam_id = await _exam(teacher, _class_with(mesh, teacher_p, student_p), time_limit_s=10)

    attempt = await _start(student, exam_id)
    await _answer(student, exam_id, item_id="basics.q1", choice=1)  # right
    await _answer(student, exam_id, item_id="basics.q2", choice=0)  # wrong
    await _answer(student, exam_id, item_id="basics.greeting", code=GREETING_RIGHT)
    await _answered(student, exam_id, {"basics.q1", "basics.q2", "basics.greeting"})
    # ... and the student goes away: nobody submits, nobody asks

    debrief = await _debrief(student, exam_id)

    deadline = datetime.fromisoformat(attempt["deadline"])
    assert datetime.now(UTC) >= deadline
    assert debrief["exam"]["attempt"]["submit_reason"] == "deadline"
    assert (debrief["score"], debrief["answered"], debrief["total"]) == (2, 3, 4)
    marks = {i["id"]: (i["answered"], i["correct"]) for i in debrief["items"]}
    assert marks == {
        "basics.q1": (True, True),
        "basics.q2": (True, False),
        "basics.greeting": (True, True),
        "basics.is-even": (False, False),
    }
    assert "hidden tests passed" in debrief["items"][2]["why"]
    late = await student.post(f"/exams/{exam_id}/answers", {"item_id": "basics.q2", "choice": 2})
    assert late.status_code == 409
    results = (await teacher.get(f"/exams/{exam_id}/results")).json()
    ((row),) = results["students"]
    assert (row["score"], row["answered"], row["submitted"]) == (2, 3, True)
    rows = mesh.sql(
        "select r.item_id, r.answered, r.correct from exam_item_results r"
        " join exam_attempts a on a.id = r.attempt_id where a.student_id = %s order by position",
        student_p.id,
    )
    assert [(i, a, c) for i, a, c in rows] == [
        ("basics.q1", True, True),
        ("basics.q2", True, False),
        ("basics.greeting", True, True),
        ("basics.is-even", False, False),
    ]


async def test_answers_survive_a_triage_crash_and_the_deadline_fires_after_it(
    mesh: Mesh, http: httpx.AsyncClient
) -> None:
    teacher_p, student_p = make_person(mesh, Role.TEACHER), make_person(mesh, Role.STUDENT)
    teacher, student = Api(http, mesh, teacher_p), Api(http, mesh, student_p)
    exam_id = await _exam(teacher, _class_with(mesh, teacher_p, student_p), time_limit_s=10)
    attempt = await _start(student, exam_id)
    await _answer(student, exam_id, item_id="basics.q2", choice=2)  # right
    await _answer(student, exam_id, item_id="basics.greeting", code=GREETING_RIGHT)
    await _answered(student, exam_id, {"basics.q2", "basics.greeting"})
    deadline = datetime.fromisoformat(attempt["deadline"])

    mesh.stack.stop_app("triage", sig=signal.SIGKILL)  # a crash mid-exam
    try:
        await anyio.sleep(max(0.0, (deadline - datetime.now(UTC)).total_seconds()) + 0.5)
    finally:
        await anyio.to_thread.run_sync(mesh.stack.start_app, "triage")

    debrief = await _debrief(student, exam_id)

    assert debrief["exam"]["attempt"]["submit_reason"] == "deadline"
    assert (debrief["score"], debrief["answered"]) == (2, 2)
    answered = [i["id"] for i in debrief["items"] if i["answered"]]
    assert answered == ["basics.q2", "basics.greeting"]
