"""Classes (one teacher each) and enrollments of students."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from learnflow.db.models import Role, SchoolClass, User
from learnflow.db.pool import Conn
from learnflow.db.repos._rows import fetch_all, fetch_one, fetch_value, insert_or_get
from learnflow.db.repos.users import get_user
from learnflow.errors import Conflict, InvalidInput, NotFound


async def create_class(conn: Conn, *, name: str, teacher_id: UUID) -> SchoolClass:
    """Create a class; `Conflict` if this teacher already has a class with that name."""
    school_class, created = await ensure_class(conn, name=name, teacher_id=teacher_id)
    if not created:
        raise Conflict(f"You already have a class named {school_class.name!r}")
    return school_class


async def ensure_class(conn: Conn, *, name: str, teacher_id: UUID) -> tuple[SchoolClass, bool]:
    """The teacher's class with this name, created if absent; returns (class, created)."""
    clean = name.strip()
    if not clean:
        raise InvalidInput("A class needs a name")
    teacher = await get_user(conn, user_id=teacher_id)
    if teacher is None:
        raise NotFound(f"No user with id {teacher_id}")
    if teacher.role not in (Role.TEACHER, Role.ADMIN):
        raise InvalidInput(f"{teacher.email} is a {teacher.role.value}; only teachers own classes")
    return await insert_or_get(
        conn,
        SchoolClass,
        "insert into classes (name, teacher_id) values (%s, %s)"
        " on conflict (teacher_id, name) do nothing returning *",
        (clean, teacher_id),
        select="select * from classes where teacher_id = %s and name = %s",
        select_params=(teacher_id, clean),
        vanished=Conflict(f"The class {clean!r} changed concurrently; retry"),
    )


async def get_class(conn: Conn, *, class_id: UUID) -> SchoolClass | None:
    return await fetch_one(conn, SchoolClass, "select * from classes where id = %s", (class_id,))


async def list_classes_for_teacher(conn: Conn, *, teacher_id: UUID) -> list[SchoolClass]:
    return await fetch_all(
        conn,
        SchoolClass,
        "select * from classes where teacher_id = %s order by name",
        (teacher_id,),
    )


async def list_classes_for_student(conn: Conn, *, student_id: UUID) -> list[SchoolClass]:
    return await fetch_all(
        conn,
        SchoolClass,
        "select c.* from classes c join enrollments e on e.class_id = c.id"
        " where e.student_id = %s and e.removed_at is null order by c.name",
        (student_id,),
    )


async def enroll(conn: Conn, *, class_id: UUID, student_id: UUID) -> bool:
    """Enroll a student; returns False if they already were. Only students can be enrolled."""
    student = await get_user(conn, user_id=student_id)
    if student is None:
        raise NotFound(f"No user with id {student_id}")
    if student.role is not Role.STUDENT:
        raise InvalidInput(f"{student.email} is a {student.role.value}, not a student")
    if await get_class(conn, class_id=class_id) is None:
        raise NotFound(f"No class with id {class_id}")
    cur = await conn.execute(
        "insert into enrollments (class_id, student_id) values (%s, %s) on conflict do nothing",
        (class_id, student_id),
    )
    return cur.rowcount == 1


async def list_students(conn: Conn, *, class_id: UUID) -> list[User]:
    return await fetch_all(
        conn,
        User,
        "select u.* from users u join enrollments e on e.student_id = u.id"
        " where e.class_id = %s and e.removed_at is null order by u.display_name, u.email",
        (class_id,),
    )


async def list_removed_students(conn: Conn, *, class_id: UUID) -> list[tuple[User, datetime]]:
    """Students taken off the class's roster, with when (their past work stays in reports)."""
    async with conn.cursor() as cur:
        await cur.execute(
            "select e.student_id, e.removed_at from enrollments e"
            " where e.class_id = %s and e.removed_at is not null order by e.removed_at",
            (class_id,),
        )
        rows = await cur.fetchall()
    found: list[tuple[User, datetime]] = []
    for student_id, removed_at in rows:
        user = await get_user(conn, user_id=student_id)
        if user is not None:
            found.append((user, removed_at))
    return found


async def teacher_has_student(conn: Conn, *, teacher_id: UUID, student_id: UUID) -> bool:
    """Whether the student is (or was: removed students' past work stays in the teacher's
    reports) enrolled in one of this teacher's classes (for access checks)."""
    found = await fetch_value(
        conn,
        "select exists (select 1 from enrollments e join classes c on c.id = e.class_id"
        " where c.teacher_id = %s and e.student_id = %s)",
        (teacher_id, student_id),
    )
    return bool(found)
