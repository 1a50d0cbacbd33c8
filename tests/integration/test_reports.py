"""Class reports on the real stack: students submit code through triage (graded in the real
sandbox, recorded by debrief from Kafka), and the teacher's report — JSON and CSV — counts
exactly what this test submitted; a removed student's work stays; only the class's teacher may
read it; a student downloads their own record."""

from __future__ import annotations

import csv
import io
import time
from typing import Any

import httpx
import pytest

from learnflow.curriculum import load_catalog
from learnflow.db.models import Role
from tests.integration.harness import Mesh
from tests.integration.test_workflows import Api, make_person
from tests.waiting import eventually

pytestmark = pytest.mark.integration
EXERCISE, MODULE = "basics.greeting", "basics"


def _csv(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))


async def _submit(student: Api, code: str) -> tuple[float, float]:
    """Submit; return the wall-clock window (epoch s) the graded run happened in."""
    start = time.time()
    response = await student.post(f"/exercises/{EXERCISE}/submit", {"code": code})
    end = time.time()
    assert response.status_code == 200, response.text
    return start, end


async def test_the_class_report_counts_what_students_submitted(
    mesh: Mesh, http: httpx.AsyncClient
) -> None:
    exercise = load_catalog().exercise(EXERCISE)
    teacher = Api(http, mesh, make_person(mesh, Role.TEACHER))
    other_teacher = Api(http, mesh, make_person(mesh, Role.TEACHER))
    ana = Api(http, mesh, make_person(mesh, Role.STUDENT))
    ben = Api(http, mesh, make_person(mesh, Role.STUDENT))
    opened = await teacher.post("/classes", {"name": "Report class, 9B", "capacity": 5})
    assert opened.status_code == 201, opened.text
    class_id, code = opened.json()["class_id"], opened.json()["join_code"]
    for student in (ana, ben):
        assert (await student.post("/classes/join", {"code": code})).status_code == 201

    # Ana fails twice (two different programs: the same code again is the same submission,
    # graded once) then passes; Ben fails once and is then taken off the roster
    first = await _submit(ana, exercise.starter)
    await _submit(ana, 'def greeting(name, age):\n    return "Hello, " + name\n')
    last = await _submit(ana, exercise.solution)
    await _submit(ben, exercise.starter)
    removed = await http.delete(
        teacher._url(f"/classes/{class_id}/students/{ben.person.id}"), headers=teacher._headers
    )
    assert removed.status_code == 200, removed.text

    async def report() -> dict[str, Any] | None:
        answer = await teacher.get(f"/classes/{class_id}/report")
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        failed = body["most_failed"]
        return body if failed and failed[0]["attempts"] == 4 else None

    body = await eventually(report, timeout_s=90, every_s=1, what="the 4 grades in the report")

    (exercise_row,) = body["most_failed"]
    assert exercise_row["exercise_id"] == EXERCISE
    assert (exercise_row["failed_attempts"], exercise_row["attempts"]) == (3, 4)
    assert (exercise_row["students_failed"], exercise_row["students_passed"]) == (2, 1)
    rows = {r["student_id"]: r for r in body["students"]}
    a, b = rows[str(ana.person.id)], rows[str(ben.person.id)]
    assert (a["removed"], b["removed"]) == (False, True)
    assert (a["exercises_passed"], a["failed_attempts"]) == (1, 2)
    assert (b["exercises_passed"], b["failed_attempts"]) == (0, 1)
    # Ana's actions all fall between her first and last submission (gaps well under 5 min)
    assert last[0] - first[1] - 1 <= a["time_on_task"]["seconds"] <= last[1] - first[0] + 1
    assert a["time_on_task"]["actions"] >= 3
    assert body["time_on_task_s"] == a["time_on_task"]["seconds"] + b["time_on_task"]["seconds"]
    spread = {m["topic"]: m for m in body["mastery_spread"]}
    for topic, m in spread.items():
        levels = m["beginner"] + m["learning"] + m["proficient"] + m["mastered"]
        assert levels + m["not_started"] == 2, topic
        assert m["not_started"] == (0 if topic == MODULE else 2), topic
    assert [s["id"] for s in body["overview"]["students"]] == [str(ana.person.id)]

    # the CSV holds the same figures
    email = {
        str(i): e
        for i, e in mesh.sql(
            "select id, email from users where id = any(%s)", [ana.person.id, ben.person.id]
        )
    }
    students_csv = {
        r["Email"]: r
        for r in _csv(await teacher.get(f"/classes/{class_id}/report.csv?table=students"))
    }
    for student_id, row in rows.items():
        line = students_csv[email[student_id]]
        assert line["Status"] == ("removed" if row["removed"] else "enrolled")
        assert int(line["Exercises passed"]) == row["exercises_passed"]
        assert int(line["Failed submissions"]) == row["failed_attempts"]
        seconds = row["time_on_task"]["seconds"]
        assert abs(float(line["Time on task (min)"]) - seconds / 60) <= 0.05
    exercises_csv = _csv(await teacher.get(f"/classes/{class_id}/report.csv?table=exercises"))
    assert [(r["Failed submissions"], r["Submissions"]) for r in exercises_csv] == [("3", "4")]

    # only the class's teacher
    for path in (f"/classes/{class_id}/report", f"/classes/{class_id}/report.csv"):
        assert (await other_teacher.get(path)).status_code == 403
        assert (await ana.get(path)).status_code == 403
        anonymous = await http.get(teacher._url(path), headers=mesh.dapr_headers)
        assert anonymous.status_code == 401

    # Ana's own record
    mine = {r["Module"]: r for r in _csv(await ana.get("/progress/me/report.csv"))}
    basics = next(v for k, v in mine.items() if k.endswith(load_catalog().module(MODULE).title))
    assert (basics["Exercises passed"], basics["Failed submissions"]) == ("1", "2")
