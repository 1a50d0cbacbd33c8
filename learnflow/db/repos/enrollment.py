"""Joining classes with a code: the teacher's side (open a class, its code, cap, close, remove a
student) and the student's (join), each rule checked in the one transaction that writes.

    open_class ─► classes row + class_admissions row (join code, capacity)
    join       ─► lock the class's admission row, then: open? not already in? below the cap?
                  ─► the enrollment row (with a fresh join id) — or a clear error, nothing written
    remove     ─► removed_at set: the student leaves the roster, their past work stays in reports

The caller runs each inside `conn.transaction()`; the admission row lock (`for update`)
serialises concurrent joins of one class, so two students cannot both take the last seat.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from uuid import UUID, uuid4

from pydantic import BaseModel

from learnflow.db.models import Role, Row, SchoolClass
from learnflow.db.pool import Conn
from learnflow.db.repos._rows import fetch_one, fetch_value, insert_or_get
from learnflow.db.repos.classes import create_class, get_class
from learnflow.db.repos.users import get_user
from learnflow.errors import Conflict, InvalidInput, NotAllowed, NotFound

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud, typed by hand
DEFAULT_CAPACITY = 30
MAX_CAPACITY = 500


class Admission(Row):
    class_id: UUID
    join_code: str
    capacity: int
    closed_at: datetime | None


class Joined(BaseModel):
    """A new enrollment: its class, the student and the id of this join (the workflow's key)."""

    class_id: UUID
    class_name: str
    teacher_id: UUID
    student_id: UUID
    join_id: UUID


def new_join_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def normalise_code(code: str) -> str:
    """What a student typed → the stored form ('abcd efgh', 'ABCDEFGH' → 'ABCD-EFGH')."""
    raw = "".join(ch for ch in code.upper() if ch.isalnum())
    if len(raw) != 8 or any(ch not in CODE_ALPHABET for ch in raw):
        raise InvalidInput(
            "A join code is 8 letters and digits, like 'KQ7M-3XPD'; check the code your "
            "teacher gave you",
            field="code",
        )
    return f"{raw[:4]}-{raw[4:]}"


def _capacity(capacity: int) -> int:
    if not 1 <= capacity <= MAX_CAPACITY:
        raise InvalidInput(
            f"A class holds 1 to {MAX_CAPACITY} students; {capacity} is out of range",
            field="capacity",
        )
    return capacity


async def open_class(
    conn: Conn, *, name: str, teacher_id: UUID, capacity: int = DEFAULT_CAPACITY
) -> tuple[SchoolClass, Admission]:
    """A new class with its join code (`Conflict` if the teacher has one of that name)."""
    _capacity(capacity)
    school_class = await create_class(conn, name=name, teacher_id=teacher_id)
    return school_class, await _admit(conn, school_class.id, capacity)


async def _admit(conn: Conn, class_id: UUID, capacity: int) -> Admission:
    for _ in range(5):  # 32^8 codes: a clash is near impossible, but never an error
        admission = await fetch_one(
            conn,
            Admission,
            "insert into class_admissions (class_id, join_code, capacity) values (%s, %s, %s)"
            " on conflict (join_code) do nothing returning *",
            (class_id, new_join_code(), capacity),
        )
        if admission is not None:
            return admission
    raise Conflict("Could not draw a free join code; retry")  # pragma: no cover


async def admission_of(conn: Conn, *, class_id: UUID) -> Admission:
    """The class's admission (created with a fresh code for classes made before enrollment)."""
    found = await fetch_one(
        conn, Admission, "select * from class_admissions where class_id = %s", (class_id,)
    )
    if found is not None:
        return found
    if await get_class(conn, class_id=class_id) is None:
        raise NotFound(f"No class with id {class_id}")
    admission, _ = await insert_or_get(
        conn,
        Admission,
        "insert into class_admissions (class_id, join_code, capacity) values (%s, %s, %s)"
        " on conflict (class_id) do nothing returning *",
        (class_id, new_join_code(), DEFAULT_CAPACITY),
        select="select * from class_admissions where class_id = %s",
        select_params=(class_id,),
        vanished=NotFound(f"The class {class_id} was deleted; nothing to admit to"),
    )
    return admission


async def update_admission(
    conn: Conn,
    *,
    class_id: UUID,
    capacity: int | None = None,
    closed: bool | None = None,
    new_code: bool = False,
) -> Admission:
    """Change the cap, open/close the class, or replace its code (the old one stops working)."""
    current = await admission_of(conn, class_id=class_id)
    if capacity is not None:
        _capacity(capacity)
        enrolled = await active_count(conn, class_id=class_id)
        if capacity < enrolled:
            raise InvalidInput(
                f"The class already has {enrolled} students; a cap of {capacity} is below that "
                "(remove students first)",
                field="capacity",
            )
    found = await fetch_one(
        conn,
        Admission,
        "update class_admissions set capacity = coalesce(%s, capacity),"
        " closed_at = case when %s::boolean is null then closed_at"
        "   when %s then coalesce(closed_at, now()) else null end,"
        " join_code = case when %s then %s else join_code end, updated_at = now()"
        " where class_id = %s returning *",
        (capacity, closed, closed, new_code, new_join_code(), current.class_id),
    )
    assert found is not None
    return found


async def active_count(conn: Conn, *, class_id: UUID) -> int:
    count = await fetch_value(
        conn,
        "select count(*) from enrollments where class_id = %s and removed_at is null",
        (class_id,),
    )
    return int(count or 0)


async def join(conn: Conn, *, code: str, student_id: UUID) -> Joined:
    """Enroll the student in the class of `code`; run inside a transaction.

    404 for a code that does not exist, 409 when already enrolled, when the class is full or
    closed — each message says what to do; nothing is written in any of those cases.
    """
    wanted = normalise_code(code)
    student = await get_user(conn, user_id=student_id)
    if student is None or student.role is not Role.STUDENT:
        raise NotAllowed("Only students join classes with a code", role="student")
    admission = await fetch_one(
        conn,
        Admission,
        "select * from class_admissions where join_code = %s for update",
        (wanted,),
    )
    if admission is None:
        raise NotFound(
            f"No class has the join code {wanted}; check it with your teacher (codes change "
            "when a teacher makes a new one)",
            field="code",
        )
    school_class = await get_class(conn, class_id=admission.class_id)
    assert school_class is not None  # cascade: no admission without its class
    removed_at = await fetch_value(
        conn,
        "select removed_at from enrollments where class_id = %s and student_id = %s",
        (admission.class_id, student_id),
    )
    existing = await fetch_value(
        conn,
        "select exists (select 1 from enrollments where class_id = %s and student_id = %s)",
        (admission.class_id, student_id),
    )
    if existing and removed_at is None:
        raise Conflict(
            f"You are already in {school_class.name!r}; it is on your dashboard",
            reason="already_enrolled",
        )
    if admission.closed_at is not None:
        raise Conflict(
            f"{school_class.name!r} is closed to new students; ask your teacher to open it",
            reason="class_closed",
        )
    enrolled = await active_count(conn, class_id=admission.class_id)
    if enrolled >= admission.capacity:
        raise Conflict(
            f"{school_class.name!r} is full ({admission.capacity} students); ask your teacher "
            "to raise the cap",
            reason="class_full",
        )
    join_id = uuid4()
    await conn.execute(
        "insert into enrollments (class_id, student_id, join_id) values (%s, %s, %s)"
        " on conflict (class_id, student_id) do update"
        " set removed_at = null, join_id = excluded.join_id, enrolled_at = now()",
        (admission.class_id, student_id, join_id),
    )
    return Joined(
        class_id=school_class.id,
        class_name=school_class.name,
        teacher_id=school_class.teacher_id,
        student_id=student_id,
        join_id=join_id,
    )


async def remove(conn: Conn, *, class_id: UUID, student_id: UUID) -> bool:
    """Take the student off the roster (their work stays); False if they were not on it."""
    cur = await conn.execute(
        "update enrollments set removed_at = now()"
        " where class_id = %s and student_id = %s and removed_at is null",
        (class_id, student_id),
    )
    return cur.rowcount == 1
