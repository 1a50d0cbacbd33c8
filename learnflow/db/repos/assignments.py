"""Assignments of exercises (curriculum or custom) to a class."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from learnflow.db.models import Assignment, ExerciseStatus, Role
from learnflow.db.pool import Conn
from learnflow.db.repos._rows import fetch_all, insert_or_get
from learnflow.db.repos.classes import get_class
from learnflow.db.repos.exercises import get_custom_exercise
from learnflow.db.repos.users import get_user
from learnflow.errors import Conflict, NotAllowed, NotFound


async def assign_exercise(
    conn: Conn,
    *,
    class_id: UUID,
    exercise_id: str,
    assigned_by: UUID,
    due_at: datetime | None = None,
) -> tuple[Assignment, bool]:
    """Assign an exercise to a class; returns (assignment, created) — assigning twice is a no-op.

    Only the class's teacher (or an admin) may assign; a custom exercise must be `ready`.
    Curriculum exercise ids are not checked here (the curriculum lives in files).
    """
    school_class = await get_class(conn, class_id=class_id)
    if school_class is None:
        raise NotFound(f"No class with id {class_id}")
    user = await get_user(conn, user_id=assigned_by)
    if user is None or (user.role is not Role.ADMIN and school_class.teacher_id != assigned_by):
        raise NotAllowed(f"Only the teacher of {school_class.name!r} can assign exercises to it")
    custom = await get_custom_exercise(conn, exercise_id=exercise_id)
    if custom is not None and custom.status is not ExerciseStatus.READY:
        raise Conflict(
            f"Exercise {exercise_id} is {custom.status.value}: only exercises that passed "
            "validation (ready) can be assigned"
        )
    return await insert_or_get(
        conn,
        Assignment,
        "insert into assignments (class_id, exercise_id, assigned_by, due_at)"
        " values (%s, %s, %s, %s) on conflict do nothing returning *",
        (class_id, exercise_id, assigned_by, due_at),
        select="select * from assignments"
        " where class_id = %s and exercise_id = %s and student_id is null",
        select_params=(class_id, exercise_id),
        vanished=NotFound(f"The assignment of {exercise_id} vanished; retry"),
    )


async def list_assignments_for_class(conn: Conn, *, class_id: UUID) -> list[Assignment]:
    return await fetch_all(
        conn,
        Assignment,
        "select * from assignments where class_id = %s order by assigned_at desc, id",
        (class_id,),
    )


async def list_assignments_for_student(conn: Conn, *, student_id: UUID) -> list[Assignment]:
    """Assignments of every class the student is enrolled in, newest first."""
    return await fetch_all(
        conn,
        Assignment,
        "select a.* from assignments a join enrollments e on e.class_id = a.class_id"
        " where e.student_id = %s and (a.student_id is null or a.student_id = e.student_id)"
        " order by a.assigned_at desc, a.id",
        (student_id,),
    )
