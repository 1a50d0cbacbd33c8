"""Class and progress reports through triage's public routes (triage + debrief in process, real
PostgreSQL, fake Dapr). The work is written as rows with chosen times, so every figure is known
here: mastery spread, most failed exercises, time on task (gaps of at most 300 s), a removed
student kept, the CSV equal to the JSON, and who may read what."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from learnflow.db.models import Role
from learnflow.db.repos.users import create_user
from tests.agents.triage.harness import Mesh, bearer

MAYA, JAMES, TEACHER = "maya@learnflow.dev", "james@learnflow.dev", "rodriguez@learnflow.dev"
EXERCISE, MODULE = "basics.greeting", "basics"
T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
pytestmark = pytest.mark.usefixtures("workflows")  # joining a class starts a workflow


async def _id(mesh: Mesh, email: str) -> uuid.UUID:
    async with mesh.triage.state.pool.connection() as conn:
        cur = await conn.execute("select id from users where email = %s", (email,))
        row = await cur.fetchone()
    assert row is not None
    return row[0]  # type: ignore[no-any-return]


async def _attempt(mesh: Mesh, student: uuid.UUID, passed: bool, at: datetime) -> None:
    async with mesh.triage.state.pool.connection() as conn:
        await conn.execute(
            "insert into exercise_attempts (student_id, exercise_id, topic, passed, score,"
            " created_at) values (%s, %s, %s, %s, %s, %s)",
            (student, EXERCISE, MODULE, passed, 100 if passed else 0, at),
        )


async def _mastery(mesh: Mesh, student: uuid.UUID, mastery: int, level: str) -> None:
    async with mesh.triage.state.pool.connection() as conn:
        await conn.execute(
            "insert into progress (student_id, topic, mastery, level, last_activity_at)"
            " values (%s, %s, %s, %s, %s) on conflict (student_id, topic) do update"
            " set mastery = excluded.mastery, level = excluded.level,"
            " last_activity_at = excluded.last_activity_at",
            (student, MODULE, mastery, level, T0),
        )


def _csv(body: bytes) -> list[dict[str, str]]:
    assert body.startswith("\ufeff".encode()), "UTF-8 with a byte-order mark"
    text = body.decode("utf-8-sig")
    assert "\r\n" in text
    return list(csv.DictReader(io.StringIO(text, newline="")))


async def _class(mesh: Mesh) -> tuple[str, dict[str, str], uuid.UUID, uuid.UUID]:
    teacher = await mesh.login(TEACHER)
    opened = await mesh.client.post(
        "/classes", json={"name": 'Reports, "7A"', "capacity": 5}, headers=teacher
    )
    class_id, code = opened.json()["class_id"], opened.json()["join_code"]
    for who in (MAYA, JAMES):
        joined = await mesh.client.post(
            "/classes/join", json={"code": code}, headers=await mesh.login(who)
        )
        assert joined.status_code == 201, joined.text
    return class_id, teacher, await _id(mesh, MAYA), await _id(mesh, JAMES)


async def test_the_class_report_counts_what_was_done_and_keeps_a_removed_student(
    mesh: Mesh,
) -> None:
    class_id, teacher, maya, james = await _class(mesh)
    # Maya: fail, fail (60 s later), pass (60 s later), a quiz 1000 s later (a break: not counted)
    for offset, passed in ((0, False), (60, False), (120, True)):
        await _attempt(mesh, maya, passed, T0 + timedelta(seconds=offset))
    async with mesh.triage.state.pool.connection() as conn:
        await conn.execute(
            "insert into quiz_attempts (student_id, topic, quiz_id, score, total, created_at)"
            " values (%s, %s, 'q1', 4, 5, %s)",
            (maya, MODULE, T0 + timedelta(seconds=1120)),
        )
    await _attempt(mesh, james, False, T0)
    await _attempt(mesh, james, False, T0 + timedelta(seconds=200))
    await _mastery(mesh, maya, 55, "learning")
    await _mastery(mesh, james, 20, "beginner")
    removed = await mesh.client.delete(f"/classes/{class_id}/students/{james}", headers=teacher)
    assert removed.status_code == 200, removed.text

    report = (await mesh.client.get(f"/classes/{class_id}/report", headers=teacher)).json()

    rows = {s["email"]: s for s in report["students"]}
    assert set(rows) == {MAYA, JAMES}
    assert (rows[MAYA]["removed"], rows[JAMES]["removed"]) == (False, True)
    assert rows[MAYA]["time_on_task"] | {"last_action_at": None} == {
        "seconds": 120,
        "actions": 4,
        "active_days": 1,
        "last_action_at": None,
    }
    assert rows[JAMES]["time_on_task"]["seconds"] == 200
    assert (rows[MAYA]["exercises_passed"], rows[MAYA]["failed_attempts"]) == (1, 2)
    assert (rows[JAMES]["exercises_passed"], rows[JAMES]["failed_attempts"]) == (0, 2)
    assert report["time_on_task_s"] == 320
    ((failed),) = report["most_failed"]
    assert failed["exercise_id"] == EXERCISE
    assert (failed["failed_attempts"], failed["attempts"]) == (4, 5)
    assert (failed["students_failed"], failed["students_passed"]) == (2, 1)
    spread = {m["topic"]: m for m in report["mastery_spread"]}
    assert (spread[MODULE]["beginner"], spread[MODULE]["learning"]) == (1, 1)
    assert spread[MODULE]["not_started"] == 0
    assert all(m["not_started"] == 2 for t, m in spread.items() if t != MODULE)
    # the roster view (overview) no longer lists James; his reasons still show in his row
    assert [s["email"] for s in report["overview"]["students"]] == [MAYA]
    assert any("beginner level" in r for r in rows[JAMES]["needs_help"])

    students_csv = await mesh.client.get(f"/classes/{class_id}/report.csv", headers=teacher)
    assert students_csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert (
        'filename="class-report-reports-7a-students.csv"'
        in (students_csv.headers["content-disposition"])
    )
    by_email = {r["Email"]: r for r in _csv(students_csv.content)}
    assert by_email[JAMES]["Status"] == "removed"
    assert by_email[MAYA]["Time on task (min)"] == "2.0"
    assert by_email[MAYA]["Exercises passed"] == "1"
    modules_csv = _csv(
        (
            await mesh.client.get(f"/classes/{class_id}/report.csv?table=modules", headers=teacher)
        ).content
    )
    assert modules_csv[0]["Learning (41-70%)"] == "1"
    exercises_csv = _csv(
        (
            await mesh.client.get(
                f"/classes/{class_id}/report.csv?table=exercises", headers=teacher
            )
        ).content
    )
    assert [(r["Failed submissions"], r["Submissions"]) for r in exercises_csv] == [("4", "5")]
    bad = await mesh.client.get(f"/classes/{class_id}/report.csv?table=x", headers=teacher)
    assert bad.status_code == 422


async def test_only_the_classs_teacher_reads_its_report(mesh: Mesh) -> None:
    class_id, _, _, _ = await _class(mesh)
    async with mesh.triage.state.pool.connection() as conn:
        other = await create_user(
            conn,
            email="other.teacher@learnflow.dev",
            display_name="Ms. Other",
            role=Role.TEACHER,
            password_hash="x",
        )
    as_other = bearer(other.id, Role.TEACHER)
    maya = await mesh.login(MAYA)
    for path in (f"/classes/{class_id}/report", f"/classes/{class_id}/report.csv"):
        answers: list[Any] = [
            await mesh.client.get(path, headers=as_other),
            await mesh.client.get(path, headers=maya),
            await mesh.client.get(path),
        ]
        assert [a.status_code for a in answers] == [403, 403, 401], path
        assert "not one of your classes" in answers[0].json()["message"]


async def test_a_student_downloads_their_own_progress_report(mesh: Mesh) -> None:
    _, teacher, maya, _ = await _class(mesh)
    await _attempt(mesh, maya, False, T0)
    await _attempt(mesh, maya, True, T0 + timedelta(seconds=90))
    await _mastery(mesh, maya, 55, "learning")
    maya_h = await mesh.login(MAYA)

    mine = (await mesh.client.get("/progress/me/report", headers=maya_h)).json()
    download = await mesh.client.get("/progress/me/report.csv", headers=maya_h)

    basics = next(m for m in mine["modules"] if m["topic"] == MODULE)
    assert (basics["mastery"], basics["exercises_passed"], basics["failed_attempts"]) == (55, 1, 1)
    assert basics["time_on_task_s"] == 90 and mine["time_on_task"]["seconds"] == 90
    assert download.status_code == 200
    assert 'filename="progress-report-maya' in download.headers["content-disposition"]
    rows = {r["Module"]: r for r in _csv(download.content)}
    assert rows[basics["title"]]["Mastery (%)"] == "55"
    assert rows[basics["title"]]["Time on task (min)"] == "1.5"
    assert len(rows) == len(mine["modules"])
    # a teacher has no "my progress report"
    assert (await mesh.client.get("/progress/me/report.csv", headers=teacher)).status_code == 403
