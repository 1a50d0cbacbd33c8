"""Joining a class with a code: every rule in one transaction, nothing written on a refusal."""

from __future__ import annotations

import psycopg
import pytest

from learnflow.db.models import Role
from learnflow.db.repos import classes, enrollment
from learnflow.errors import Conflict, InvalidInput, NotAllowed, NotFound
from tests.learnflow.db.factories import make_user


async def _enrolled(conn: psycopg.AsyncConnection[object]) -> int:
    cur = await conn.execute("select count(*) from enrollments")
    row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def test_a_student_joins_with_the_code_typed_loosely(
    conn: psycopg.AsyncConnection[object],
) -> None:
    teacher = await make_user(conn, Role.TEACHER)
    maya = await make_user(conn, name="maya")
    school_class, admission = await enrollment.open_class(
        conn, name="Python 1", teacher_id=teacher.id, capacity=2
    )

    typed = admission.join_code.lower().replace("-", " ")
    joined = await enrollment.join(conn, code=typed, student_id=maya.id)

    assert joined.class_id == school_class.id and joined.student_id == maya.id
    assert [s.id for s in await classes.list_students(conn, class_id=school_class.id)] == [maya.id]


async def test_a_second_join_a_full_class_and_a_closed_one_are_refused_with_nothing_written(
    conn: psycopg.AsyncConnection[object],
) -> None:
    teacher = await make_user(conn, Role.TEACHER)
    maya, james, lee = [await make_user(conn, name=n) for n in ("maya", "james", "lee")]
    school_class, admission = await enrollment.open_class(
        conn, name="Python 1", teacher_id=teacher.id, capacity=1
    )
    await enrollment.join(conn, code=admission.join_code, student_id=maya.id)

    with pytest.raises(Conflict, match="already in 'Python 1'"):
        await enrollment.join(conn, code=admission.join_code, student_id=maya.id)
    with pytest.raises(Conflict, match=r"is full \(1 students\)"):
        await enrollment.join(conn, code=admission.join_code, student_id=james.id)
    await enrollment.update_admission(conn, class_id=school_class.id, capacity=5, closed=True)
    with pytest.raises(Conflict, match="closed to new students"):
        await enrollment.join(conn, code=admission.join_code, student_id=lee.id)
    assert await _enrolled(conn) == 1


async def test_an_unknown_or_malformed_code_and_a_teacher_joining_are_clear_errors(
    conn: psycopg.AsyncConnection[object],
) -> None:
    teacher = await make_user(conn, Role.TEACHER)
    maya = await make_user(conn, name="maya")
    await enrollment.open_class(conn, name="Python 1", teacher_id=teacher.id)

    with pytest.raises(NotFound, match="No class has the join code ZZZZ-ZZZZ"):
        await enrollment.join(conn, code="zzzz-zzzz", student_id=maya.id)
    with pytest.raises(InvalidInput, match="8 letters and digits"):
        await enrollment.join(conn, code="nope", student_id=maya.id)
    with pytest.raises(NotAllowed):
        await enrollment.join(conn, code="ABCD-EFGH", student_id=teacher.id)
    with pytest.raises(InvalidInput, match="1 to 500"):
        await enrollment.open_class(conn, name="Huge", teacher_id=teacher.id, capacity=501)
    assert await _enrolled(conn) == 0


async def test_a_removed_student_leaves_the_roster_but_stays_visible_to_the_teacher(
    conn: psycopg.AsyncConnection[object],
) -> None:
    teacher = await make_user(conn, Role.TEACHER)
    maya = await make_user(conn, name="maya")
    school_class, admission = await enrollment.open_class(
        conn, name="Python 1", teacher_id=teacher.id, capacity=1
    )
    first = await enrollment.join(conn, code=admission.join_code, student_id=maya.id)

    assert await enrollment.remove(conn, class_id=school_class.id, student_id=maya.id)
    assert not await enrollment.remove(conn, class_id=school_class.id, student_id=maya.id)
    assert await classes.list_students(conn, class_id=school_class.id) == []
    assert await classes.list_classes_for_student(conn, student_id=maya.id) == []
    assert await classes.teacher_has_student(conn, teacher_id=teacher.id, student_id=maya.id)
    # the seat is free again; joining again is a new join (a new workflow run)
    again = await enrollment.join(conn, code=admission.join_code, student_id=maya.id)
    assert again.join_id != first.join_id


async def test_a_new_code_replaces_the_old_one(conn: psycopg.AsyncConnection[object]) -> None:
    teacher = await make_user(conn, Role.TEACHER)
    maya = await make_user(conn, name="maya")
    school_class, admission = await enrollment.open_class(
        conn, name="Python 1", teacher_id=teacher.id
    )

    renewed = await enrollment.update_admission(conn, class_id=school_class.id, new_code=True)

    assert renewed.join_code != admission.join_code
    with pytest.raises(NotFound):
        await enrollment.join(conn, code=admission.join_code, student_id=maya.id)
    await enrollment.join(conn, code=renewed.join_code, student_id=maya.id)
