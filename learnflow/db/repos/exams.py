"""Timed exams: definitions, one attempt per student, per-item results (migration 0012).

An attempt's id is also the session id of the workflow that runs it (`session-<attempt id>`);
the workflow writes the results once, when it submits (`save_results`, idempotent).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from psycopg.types.json import Jsonb
from pydantic import BaseModel

from learnflow.db.models import Row
from learnflow.db.pool import Conn
from learnflow.db.repos._rows import fetch_all, fetch_one, insert_or_get
from learnflow.errors import Conflict

ItemKind = Literal["quiz", "exercise"]


class ExamItem(BaseModel):
    kind: ItemKind
    id: str


class Exam(Row):
    id: UUID
    class_id: UUID
    teacher_id: UUID
    title: str
    items: list[ExamItem]
    time_limit_s: int
    opens_at: datetime
    closes_at: datetime
    created_at: datetime


class Attempt(Row):
    id: UUID
    exam_id: UUID
    student_id: UUID
    started_at: datetime
    deadline: datetime
    submitted_at: datetime | None
    submit_reason: str | None
    score: int | None
    total: int | None


class ItemResult(Row):
    attempt_id: UUID
    position: int
    item_id: str
    kind: ItemKind
    answered: bool
    correct: bool
    choice: int | None
    submission_id: UUID | None
    tests_passed: int | None
    tests_total: int | None
    message: str | None


async def create_exam(
    conn: Conn,
    *,
    class_id: UUID,
    teacher_id: UUID,
    title: str,
    items: list[ExamItem],
    time_limit_s: int,
    opens_at: datetime,
    closes_at: datetime,
) -> Exam:
    exam = await fetch_one(
        conn,
        Exam,
        "insert into exams (class_id, teacher_id, title, items, time_limit_s, opens_at,"
        " closes_at) values (%s, %s, %s, %s, %s, %s, %s) returning *",
        (
            class_id,
            teacher_id,
            title,
            Jsonb([i.model_dump() for i in items]),
            time_limit_s,
            opens_at,
            closes_at,
        ),
    )
    assert exam is not None
    return exam


async def get_exam(conn: Conn, *, exam_id: UUID) -> Exam | None:
    return await fetch_one(conn, Exam, "select * from exams where id = %s", (exam_id,))


async def exams_of_teacher(conn: Conn, *, teacher_id: UUID) -> list[Exam]:
    return await fetch_all(
        conn,
        Exam,
        "select * from exams where teacher_id = %s order by opens_at desc, created_at desc",
        (teacher_id,),
    )


async def exams_for_student(conn: Conn, *, student_id: UUID) -> list[Exam]:
    """The exams of every class the student is on the roster of."""
    return await fetch_all(
        conn,
        Exam,
        "select x.* from exams x join enrollments e on e.class_id = x.class_id"
        " where e.student_id = %s and e.removed_at is null order by x.opens_at, x.created_at",
        (student_id,),
    )


async def is_on_roster(conn: Conn, *, class_id: UUID, student_id: UUID) -> bool:
    cur = await conn.execute(
        "select 1 from enrollments where class_id = %s and student_id = %s and removed_at is null",
        (class_id, student_id),
    )
    return await cur.fetchone() is not None


async def get_attempt(conn: Conn, *, exam_id: UUID, student_id: UUID) -> Attempt | None:
    return await fetch_one(
        conn,
        Attempt,
        "select * from exam_attempts where exam_id = %s and student_id = %s",
        (exam_id, student_id),
    )


async def get_attempt_by_id(conn: Conn, *, attempt_id: UUID) -> Attempt | None:
    return await fetch_one(
        conn, Attempt, "select * from exam_attempts where id = %s", (attempt_id,)
    )


async def start_attempt(
    conn: Conn,
    *,
    attempt_id: UUID,
    exam_id: UUID,
    student_id: UUID,
    started_at: datetime,
    deadline: datetime,
) -> Attempt:
    """The student's one attempt (Conflict if they started this exam already)."""
    attempt, created = await insert_or_get(
        conn,
        Attempt,
        "insert into exam_attempts (id, exam_id, student_id, started_at, deadline)"
        " values (%s, %s, %s, %s, %s) on conflict (exam_id, student_id) do nothing returning *",
        (attempt_id, exam_id, student_id, started_at, deadline),
        select="select * from exam_attempts where exam_id = %s and student_id = %s",
        select_params=(exam_id, student_id),
        vanished=Conflict("Your attempt at this exam changed concurrently; retry"),
    )
    if not created:
        state = "was submitted" if attempt.submitted_at else "is running"
        raise Conflict(
            f"You started this exam at {attempt.started_at:%H:%M:%S} UTC and it {state} "
            f"(deadline {attempt.deadline:%H:%M:%S} UTC): each student has one attempt",
            reason="already_started",
            attempt_id=str(attempt.id),
        )
    return attempt


async def save_results(
    conn: Conn,
    *,
    attempt_id: UUID,
    reason: str,
    results: list[dict[str, Any]],
) -> bool:
    """Write the attempt's per-item results and mark it submitted, once (False if it was)."""
    cur = await conn.execute(
        "update exam_attempts set submitted_at = now(), submit_reason = %s, score = %s,"
        " total = %s where id = %s and submitted_at is null",
        (reason, sum(1 for r in results if r["correct"]), len(results), attempt_id),
    )
    if cur.rowcount == 0:
        return False
    async with conn.cursor() as c:
        await c.executemany(
            "insert into exam_item_results (attempt_id, position, item_id, kind, answered,"
            " correct, choice, submission_id, tests_passed, tests_total, message) values"
            " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) on conflict do nothing",
            [
                (
                    attempt_id,
                    r["position"],
                    r["item_id"],
                    r["kind"],
                    r["answered"],
                    r["correct"],
                    r.get("choice"),
                    r.get("submission_id"),
                    r.get("tests_passed"),
                    r.get("tests_total"),
                    r.get("message"),
                )
                for r in results
            ],
        )
    return True


async def item_results(conn: Conn, *, attempt_id: UUID) -> list[ItemResult]:
    return await fetch_all(
        conn,
        ItemResult,
        "select * from exam_item_results where attempt_id = %s order by position",
        (attempt_id,),
    )


async def attempts_of_exam(conn: Conn, *, exam_id: UUID) -> list[tuple[Attempt, str, str]]:
    """Every attempt with the student's name and email."""
    async with conn.cursor() as cur:
        await cur.execute(
            "select a.id, u.display_name, u.email from exam_attempts a"
            " join users u on u.id = a.student_id where a.exam_id = %s order by u.display_name",
            (exam_id,),
        )
        rows = await cur.fetchall()
    out = []
    for attempt_id, name, email in rows:
        attempt = await get_attempt_by_id(conn, attempt_id=attempt_id)
        assert attempt is not None
        out.append((attempt, name, email))
    return out
