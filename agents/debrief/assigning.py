"""Assigning exercises to a class or to chosen students of it, and what became of them.

An assignment is one row per (class, exercise, target): the whole class (`student_id` null) or
one student. Everything a request assigns is written in one transaction with its
`exercise.assigned` events in the app's outbox (`learnflow.outbox`, published by its relay;
debrief's own subscription turns them into notifications). A request that names a student
outside the class, an exercise that does not exist or is not approved, or a due date in the past
changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from debrief_agent import topics
from learnflow import outbox
from learnflow.db.models import ExerciseStatus, SchoolClass, User
from learnflow.db.pool import Conn
from learnflow.db.repos.classes import list_students
from learnflow.db.repos.exercises import get_custom_exercise
from learnflow.db.repos.users import get_user
from learnflow.errors import Conflict, InvalidInput, NotAllowed, NotFound
from learnflow.events import ExerciseAssigned

SOURCE = "debrief"


class AssignRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    exercise_ids: list[str] = Field(min_length=1, max_length=20)
    student_ids: list[UUID] | None = Field(
        default=None, max_length=200, description="Omit to assign to the whole class."
    )
    due_at: AwareDatetime | None = None
    request_id: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_.:-]{1,100}$",
        description="Idempotency key: the same request id assigns (and notifies) once.",
    )


class AssignedExercise(BaseModel):
    assignment_id: UUID
    exercise_id: str
    title: str
    student_ids: list[UUID]
    whole_class: bool
    due_at: datetime | None
    created: bool


class AssignReply(BaseModel):
    class_id: UUID
    assigned: list[AssignedExercise]


class AssignmentStatus(BaseModel):
    assignment_id: UUID
    exercise_id: str
    title: str
    topic: str
    whole_class: bool
    due_at: datetime | None
    assigned_at: datetime
    assigned_by: str
    students: list[dict[str, Any]] = Field(description="[{id, display_name, done}]")


async def _title(conn: Conn, exercise_id: str, teacher_id: UUID) -> str:
    found = topics.exercise(exercise_id)
    if found is not None:
        return found.title
    custom = await get_custom_exercise(conn, exercise_id=exercise_id)
    if custom is None:
        raise NotFound(f"No exercise {exercise_id}: assign curriculum or generated exercises")
    if custom.author_id != teacher_id:
        raise NotAllowed(f"Exercise {exercise_id} was made by another teacher")
    if custom.status is not ExerciseStatus.READY or custom.review != "approved":
        raise Conflict(
            f"Exercise {exercise_id} is {custom.status.value} and {custom.review}: only exercises "
            "that passed validation and that you approved can be assigned"
        )
    return custom.title


async def assign(
    conn: Conn, school_class: SchoolClass, teacher: User, body: AssignRequest
) -> AssignReply:
    """Validate everything first, then write; the caller commits (one transaction)."""
    now = datetime.now(UTC)
    if body.due_at is not None and body.due_at <= now:
        raise InvalidInput("due_at is in the past: choose a later due date, or leave it out")
    enrolled = {s.id: s for s in await list_students(conn, class_id=school_class.id)}
    targets = list(dict.fromkeys(body.student_ids or []))
    outsiders = [str(s) for s in targets if s not in enrolled]
    if outsiders:
        raise NotAllowed(
            f"{', '.join(outsiders)} {'is' if len(outsiders) == 1 else 'are'} not a student of "
            f"{school_class.name!r}: assign only to students of this class",
            relationship="student_of_class",
        )
    exercise_ids = list(dict.fromkeys(body.exercise_ids))
    titles = {eid: await _title(conn, eid, school_class.teacher_id) for eid in exercise_ids}
    assigned: list[AssignedExercise] = []
    per_target: list[UUID | None] = [*targets] if targets else [None]
    for exercise_id in exercise_ids:
        for student in per_target:
            cur = await conn.execute(
                "insert into assignments (class_id, exercise_id, assigned_by, due_at, student_id)"
                " values (%s, %s, %s, %s, %s) on conflict do nothing returning id, due_at",
                (school_class.id, exercise_id, teacher.id, body.due_at, student),
            )
            row = await cur.fetchone()
            created = row is not None
            if row is None:
                cur = await conn.execute(
                    "select id, due_at from assignments where class_id = %s and exercise_id = %s"
                    " and student_id is not distinct from %s",
                    (school_class.id, exercise_id, student),
                )
                row = await cur.fetchone()
                if row is None:  # pragma: no cover - the conflicting row cannot vanish here
                    raise Conflict(f"the assignment of {exercise_id} changed; send it again")
            students = [student] if student is not None else list(enrolled)
            assigned.append(
                AssignedExercise(
                    assignment_id=row[0],
                    exercise_id=exercise_id,
                    title=titles[exercise_id],
                    student_ids=students,
                    whole_class=student is None,
                    due_at=row[1],
                    created=created,
                )
            )
            if created:
                await outbox.add(
                    conn,
                    ExerciseAssigned(
                        id=outbox.derived_id("exercise.assigned", str(row[0])),
                        source=SOURCE,
                        user_id=str(teacher.id),
                        assignment_id=str(row[0]),
                        class_id=str(school_class.id),
                        exercise_id=exercise_id,
                        title=titles[exercise_id],
                        student_ids=[str(s) for s in students],
                        teacher_name=teacher.display_name,
                        due_at=row[1],
                    ),
                    source_event_id=source_id(school_class.id, body.request_id),
                )
    return AssignReply(class_id=school_class.id, assigned=assigned)


def source_id(class_id: UUID, request_id: str | None) -> str:
    return f"assign:{class_id}:{request_id or 'direct'}"


async def class_assignments(conn: Conn, school_class: SchoolClass) -> list[AssignmentStatus]:
    """Every assignment of the class, newest first, with who has passed it."""
    enrolled = await list_students(conn, class_id=school_class.id)
    cur = await conn.execute(
        "select a.id, a.exercise_id, a.student_id, a.due_at, a.assigned_at, u.display_name"
        " from assignments a join users u on u.id = a.assigned_by"
        " where a.class_id = %s order by a.assigned_at desc, a.id",
        (school_class.id,),
    )
    rows = await cur.fetchall()
    cur = await conn.execute(
        "select distinct student_id, exercise_id from exercise_attempts"
        " where passed and student_id = any(%s)",
        ([s.id for s in enrolled],),
    )
    passed = {(r[0], r[1]) for r in await cur.fetchall()}
    listed = []
    for assignment_id, exercise_id, student_id, due_at, assigned_at, by in rows:
        custom = await get_custom_exercise(conn, exercise_id=exercise_id)
        found = topics.exercise(exercise_id)
        title = found.title if found else (custom.title if custom else exercise_id)
        who = [s for s in enrolled if student_id is None or s.id == student_id]
        listed.append(
            AssignmentStatus(
                assignment_id=assignment_id,
                exercise_id=exercise_id,
                title=title,
                topic=topics.topic_of_exercise(exercise_id) or "",
                whole_class=student_id is None,
                due_at=due_at,
                assigned_at=assigned_at,
                assigned_by=by,
                students=[
                    {
                        "id": str(s.id),
                        "display_name": s.display_name,
                        "done": (s.id, exercise_id) in passed,
                    }
                    for s in who
                ],
            )
        )
    return listed


async def teacher_of(conn: Conn, school_class: SchoolClass) -> User:
    teacher = await get_user(conn, user_id=school_class.teacher_id)
    if teacher is None:  # pragma: no cover - a class's teacher is a foreign key
        raise NotFound(f"the teacher of {school_class.name!r} is gone")
    return teacher
