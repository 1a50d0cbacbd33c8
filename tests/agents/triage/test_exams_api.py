"""Timed exams through triage's public routes (real PostgreSQL; the workflow engine recorded):
a teacher sets an exam, students of the class start it once inside its window, answers become
workflow events, and the workflow's result activity feeds the debrief and the teacher's figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg
import pytest

from learnflow.workflows import session as wf_session
from learnflow.workflows.activities import ACTIVITIES
from tests.agents.triage.harness import MAYA, Mesh, People, RecordedWorkflows, activities_use

ITEMS = [
    {"kind": "quiz", "id": "basics.q1"},  # right answer: 1 ("10")
    {"kind": "quiz", "id": "basics.q2"},  # right answer: 2
    {"kind": "exercise", "id": "basics.is-even"},
]


async def _demo_class(mesh: Mesh, teacher: dict[str, str]) -> str:
    classes = (await mesh.client.get("/classes", headers=teacher)).json()
    return str(next(c["id"] for c in classes if c["name"] == "Python 101"))


def _exam(class_id: str, **extra: Any) -> dict[str, Any]:
    closes = datetime.now(UTC) + timedelta(hours=2)
    return {
        "class_id": class_id,
        "title": "Basics check",
        "items": ITEMS,
        "time_limit_s": 600,
        "closes_at": closes.isoformat(),
        **extra,
    }


async def test_a_teacher_sets_an_exam_and_students_of_the_class_start_it_once(
    mesh: Mesh, workflows: RecordedWorkflows, people: People
) -> None:
    teacher, maya, james = people.teacher, people.maya, people.james
    class_id = await _demo_class(mesh, teacher)

    as_student = await mesh.client.post("/exams", json=_exam(class_id), headers=maya)
    unknown = await mesh.client.post(
        "/exams",
        json=_exam(class_id, items=[{"kind": "quiz", "id": "basics.q99"}]),
        headers=teacher,
    )
    made = await mesh.client.post("/exams", json=_exam(class_id), headers=teacher)
    assert (as_student.status_code, unknown.status_code, made.status_code) == (403, 422, 201)
    assert "basics.q99" in unknown.json()["message"]
    exam = made.json()
    assert [p["id"] for p in exam["paper"]] == [i["id"] for i in ITEMS]
    assert "answer" not in exam["paper"][0] and exam["paper"][0]["choices"][1] == "10"

    started = await mesh.client.post(f"/exams/{exam['id']}/start", headers=maya)
    again = await mesh.client.post(f"/exams/{exam['id']}/start", headers=maya)
    assert (started.status_code, again.status_code) == (201, 409), started.text
    assert again.json()["reason"] == "already_started"
    attempt = started.json()["attempt"]
    job = workflows.started[attempt["workflow_id"]]
    assert job["workflow"] == "session" and job["mode"] == "exam" and job["exam_id"] == exam["id"]
    assert job["stuck_alerts"] is False  # the teacher gets no "stuck" alert during an exam
    span = datetime.fromisoformat(attempt["deadline"]) - datetime.fromisoformat(
        attempt["started_at"]
    )
    assert span == timedelta(seconds=600)
    assert datetime.fromisoformat(job["deadline"]) == datetime.fromisoformat(attempt["deadline"])

    # outside the window, and a class the student is not in
    later = _exam(class_id, opens_at=(datetime.now(UTC) + timedelta(hours=1)).isoformat())
    upcoming = (await mesh.client.post("/exams", json=later, headers=teacher)).json()
    early = await mesh.client.post(f"/exams/{upcoming['id']}/start", headers=james)
    other = await mesh.client.post("/classes", json={"name": "Night class"}, headers=teacher)
    elsewhere = (
        await mesh.client.post("/exams", json=_exam(other.json()["class_id"]), headers=teacher)
    ).json()
    stranger = await mesh.client.post(f"/exams/{elsewhere['id']}/start", headers=james)
    assert (early.status_code, early.json()["reason"]) == (409, "not_open")
    assert "opens at" in early.json()["message"]
    assert stranger.status_code == 403 and "not in" in stranger.json()["message"]
    assert len(workflows.started) == 1  # nothing started for the refused ones

    listed = (await mesh.client.get("/exams", headers=james)).json()
    assert {e["title"] for e in listed} == {"Basics check"} and len(listed) == 2


async def test_answers_go_to_the_attempts_live_row_then_the_result_feeds_debrief_and_results(
    mesh: Mesh,
    workflows: RecordedWorkflows,
    people: People,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    teacher, maya, james = people.teacher, people.maya, people.james
    class_id = await _demo_class(mesh, teacher)
    exam = (await mesh.client.post("/exams", json=_exam(class_id), headers=teacher)).json()
    url = f"/exams/{exam['id']}"
    attempt = (await mesh.client.post(f"{url}/start", headers=maya)).json()["attempt"]

    right = await mesh.client.post(
        f"{url}/answers", json={"item_id": "basics.q1", "choice": 1}, headers=maya
    )
    as_code = await mesh.client.post(
        f"{url}/answers", json={"item_id": "basics.q2", "code": "print(1)"}, headers=maya
    )
    out_of_range = await mesh.client.post(
        f"{url}/answers", json={"item_id": "basics.q2", "choice": 7}, headers=maya
    )
    foreign = await mesh.client.post(
        f"{url}/answers", json={"item_id": "basics.q3", "choice": 0}, headers=maya
    )
    not_started = await mesh.client.post(
        f"{url}/answers", json={"item_id": "basics.q1", "choice": 1}, headers=james
    )
    assert right.status_code == 202, right.text
    assert [as_code.status_code, out_of_range.status_code, foreign.status_code] == [422] * 3
    assert (not_started.status_code, not_started.json()["reason"]) == (409, "not_started")
    # a live attempt: the answer is in its projection row, and the workflow is not raised for it
    assert workflows.events == []
    async with mesh.triage.state.pool.connection() as conn:
        cur = await conn.execute(
            "select state from session_live where session_id = %s", (attempt["attempt_id"],)
        )
        ((live,),) = await cur.fetchall()
    assert (live["quiz"], live["choices"], live["tally"]["quiz_answers"]) == (
        {"basics.q1": True},
        {"basics.q1": 1},
        1,
    )

    # the workflow submits: its result activity writes what it kept (q1 right, the rest not given)
    activities_use(monkeypatch, mesh.triage.state.settings)
    store = ACTIVITIES[wf_session.STORE_EXAM_RESULT]
    payload = {
        "session_id": attempt["attempt_id"],
        "exam_id": exam["id"],
        "reason": "deadline",
        "quiz": {"basics.q1": True},
        "choices": {"basics.q1": 1},
        "graded": [],
        "student_id": workflows.started[attempt["workflow_id"]]["student_id"],
    }
    assert (await store(payload))["stored"] is True
    assert (await store(payload))["stored"] is False  # a retried activity writes nothing twice

    late = await mesh.client.post(
        f"{url}/answers", json={"item_id": "basics.q2", "choice": 2}, headers=maya
    )
    assert (late.status_code, late.json()["reason"]) == (409, "submitted")

    debrief = await mesh.client.get(f"{url}/debrief", headers=maya)
    assert debrief.status_code == 200, debrief.text
    body = debrief.json()
    assert (body["score"], body["answered"], body["total"]) == (1, 1, 3)
    q1, q2, ex = body["items"]
    assert q1["correct"] and q1["your_answer"] == "10" and q1["why"].startswith("Right.")
    assert not q2["answered"] and q2["right_answer"] == "second_score"
    assert q2["revisit"]["lesson_id"] == "basics.variables"
    assert not ex["answered"] and "Not submitted" in ex["why"]

    results = await mesh.client.get(f"{url}/results", headers=teacher)
    peek = await mesh.client.get(f"{url}/results", headers=maya)
    assert (results.status_code, peek.status_code) == (200, 403)
    (row,) = results.json()["students"]
    assert row["email"] == MAYA and (row["score"], row["answered"]) == (1, 1)
    assert row["items"] == {
        "basics.q1": "right",
        "basics.q2": "unanswered",
        "basics.is-even": "unanswered",
    }
    per_question = {
        q["id"]: (q["right"], q["wrong"], q["unanswered"]) for q in results.json()["questions"]
    }
    assert per_question["basics.q1"] == (1, 0, 0) and per_question["basics.q2"] == (0, 0, 1)


async def test_an_answer_after_the_deadline_is_refused_and_not_sent(
    mesh: Mesh, workflows: RecordedWorkflows, people: People, db_url: str
) -> None:
    teacher, maya = people.teacher, people.maya
    class_id = await _demo_class(mesh, teacher)
    exam = (await mesh.client.post("/exams", json=_exam(class_id), headers=teacher)).json()
    attempt = (await mesh.client.post(f"/exams/{exam['id']}/start", headers=maya)).json()
    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        await conn.execute(
            "update exam_attempts set deadline = now() - interval '1 second' where id = %s",
            (UUID(attempt["attempt"]["attempt_id"]),),
        )
        await conn.commit()

    late = await mesh.client.post(
        f"/exams/{exam['id']}/answers", json={"item_id": "basics.q1", "choice": 1}, headers=maya
    )
    pending = await mesh.client.get(f"/exams/{exam['id']}/debrief", headers=maya)

    assert (late.status_code, late.json()["reason"]) == (409, "deadline_passed")
    assert "not counted" in late.json()["message"]
    assert workflows.events == []
    assert (pending.status_code, pending.json()["reason"]) == (409, "not_submitted")
