"""Users, classes and enrollments repositories."""

from __future__ import annotations

import psycopg
import pytest

from learnflow.db.models import Role
from learnflow.db.repos import classes, users
from learnflow.errors import Conflict, InvalidInput, NotFound
from tests.learnflow.db.factories import FAKE_HASH, make_user


async def test_create_and_find_a_user_by_normalised_email(conn: psycopg.AsyncConnection) -> None:
    created = await users.create_user(
        conn,
        email="  Maya@Example.ORG ",
        display_name=" Maya ",
        role=Role.STUDENT,
        password_hash=FAKE_HASH,
    )

    assert created.email == "maya@example.org"
    assert created.display_name == "Maya"
    assert await users.get_user_by_email(conn, email="MAYA@example.org") == created
    assert await users.get_user(conn, user_id=created.id) == created
    assert "password_hash" not in created.model_dump()
    assert FAKE_HASH not in repr(created)


async def test_a_taken_email_is_a_conflict_and_the_transaction_survives(
    conn: psycopg.AsyncConnection,
) -> None:
    await make_user(conn, name="maya")
    with pytest.raises(Conflict, match="already exists"):
        await make_user(conn, name="MAYA")
    # the failed create did not abort the transaction
    assert len(await users.list_users(conn)) == 1


async def test_ensure_user_never_changes_an_existing_user(conn: psycopg.AsyncConnection) -> None:
    first, created = await users.ensure_user(
        conn, email="t@example.org", display_name="T", role=Role.TEACHER, password_hash="h1"
    )
    again, created_again = await users.ensure_user(
        conn, email="t@example.org", display_name="Other", role=Role.ADMIN, password_hash="h2"
    )
    assert (created, created_again) == (True, False)
    assert again == first
    assert again.password_hash == "h1"


@pytest.mark.parametrize("email", ["", "maya", "maya@", "@example.org", "a b@example.org"])
async def test_invalid_emails_are_rejected(conn: psycopg.AsyncConnection, email: str) -> None:
    with pytest.raises(InvalidInput, match="not an email address"):
        await users.create_user(
            conn, email=email, display_name="X", role=Role.STUDENT, password_hash=FAKE_HASH
        )


async def test_list_users_by_role(conn: psycopg.AsyncConnection) -> None:
    teacher = await make_user(conn, Role.TEACHER)
    student = await make_user(conn, Role.STUDENT)
    assert await users.list_users(conn, role=Role.TEACHER) == [teacher]
    assert await users.list_users(conn, role=Role.STUDENT) == [student]


async def test_the_database_rejects_unknown_roles(conn: psycopg.AsyncConnection) -> None:
    with pytest.raises(psycopg.errors.CheckViolation):
        await conn.execute(
            "insert into users (email, display_name, role, password_hash)"
            " values ('x@example.org', 'X', 'superuser', 'h')"
        )


async def test_classes_and_enrollments(conn: psycopg.AsyncConnection) -> None:
    teacher = await make_user(conn, Role.TEACHER, "Rodriguez")
    other_teacher = await make_user(conn, Role.TEACHER, "Other")
    maya = await make_user(conn, Role.STUDENT, "Maya")
    james = await make_user(conn, Role.STUDENT, "James")

    python101 = await classes.create_class(conn, name="Python 101", teacher_id=teacher.id)
    same, created = await classes.ensure_class(conn, name="Python 101", teacher_id=teacher.id)
    assert (same, created) == (python101, False)
    with pytest.raises(Conflict):
        await classes.create_class(conn, name="Python 101", teacher_id=teacher.id)

    assert await classes.enroll(conn, class_id=python101.id, student_id=maya.id) is True
    assert await classes.enroll(conn, class_id=python101.id, student_id=maya.id) is False
    assert await classes.enroll(conn, class_id=python101.id, student_id=james.id) is True

    assert [u.display_name for u in await classes.list_students(conn, class_id=python101.id)] == [
        "James",
        "Maya",
    ]
    assert await classes.list_classes_for_teacher(conn, teacher_id=teacher.id) == [python101]
    assert await classes.list_classes_for_student(conn, student_id=maya.id) == [python101]
    assert await classes.teacher_has_student(conn, teacher_id=teacher.id, student_id=maya.id)
    assert not await classes.teacher_has_student(
        conn, teacher_id=other_teacher.id, student_id=maya.id
    )


async def test_only_teachers_own_classes_and_only_students_enroll(
    conn: psycopg.AsyncConnection,
) -> None:
    teacher = await make_user(conn, Role.TEACHER)
    student = await make_user(conn, Role.STUDENT)
    with pytest.raises(InvalidInput, match="only teachers own classes"):
        await classes.create_class(conn, name="Mine", teacher_id=student.id)
    school_class = await classes.create_class(conn, name="Python 101", teacher_id=teacher.id)
    with pytest.raises(InvalidInput, match="not a student"):
        await classes.enroll(conn, class_id=school_class.id, student_id=teacher.id)
    with pytest.raises(NotFound):
        await classes.enroll(conn, class_id=teacher.id, student_id=student.id)
