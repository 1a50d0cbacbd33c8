"""Who may see what, for debrief's user-facing routes.

Debrief never sees a token. Triage verifies the caller's JWT and forwards the verified principal
in two headers (`x-learnflow-user`, `x-learnflow-role`) when it invokes debrief through Dapr.
Debrief can trust them only because every non-health route of this app accepts only calls that
carry the app API token, i.e. calls delivered by its own Dapr sidecar from inside the mesh (see
`learnflow.api.service`); the edge (triage's public routes, the gateway) never forwards those
headers from a client. Relationship checks (own data, teacher of the class) are made here,
against the database.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict

from learnflow.db.models import Role, SchoolClass, StruggleAlert, User
from learnflow.db.pool import Conn
from learnflow.db.repos.classes import get_class, teacher_has_student
from learnflow.db.repos.users import get_user
from learnflow.errors import NotAllowed, NotAuthenticated, NotFound

USER_HEADER = "x-learnflow-user"
ROLE_HEADER = "x-learnflow-role"


class Caller(BaseModel):
    """The principal triage verified and forwarded."""

    model_config = ConfigDict(frozen=True)

    user_id: UUID
    role: Role


def caller_from_headers(user: str | None, role: str | None) -> Caller:
    if not user or not role:
        raise NotAuthenticated(
            f"No verified caller: this route is reached through triage, which checks the access "
            f"token and forwards {USER_HEADER} and {ROLE_HEADER}"
        )
    try:
        return Caller(user_id=UUID(user), role=Role(role))
    except ValueError as exc:
        raise NotAuthenticated(f"Malformed {USER_HEADER}/{ROLE_HEADER} headers") from exc


def ensure_staff(caller: Caller, what: str) -> None:
    if caller.role not in (Role.TEACHER, Role.ADMIN):
        raise NotAllowed(
            f"{what} needs the teacher role; you are signed in as a {caller.role.value}",
            required_roles=[Role.TEACHER.value, Role.ADMIN.value],
            role=caller.role.value,
        )


def ensure_admin(caller: Caller, what: str) -> None:
    """Mesh-wide operations data (dead letters of every class) is for admins only."""
    if caller.role is not Role.ADMIN:
        raise NotAllowed(
            f"{what} needs the admin role; you are signed in as a {caller.role.value}",
            required_roles=[Role.ADMIN.value],
            role=caller.role.value,
        )


async def _student(conn: Conn, student_id: UUID) -> User:
    user = await get_user(conn, user_id=student_id)
    if user is None or user.role is not Role.STUDENT:
        raise NotFound(f"No student with id {student_id}")
    return user


async def student_visible_to(conn: Conn, caller: Caller, student_id: UUID) -> User:
    """The student, if `caller` may see their data: themselves, a teacher of one of their
    classes, or an admin. Another student gets 403 whether the id exists or not."""
    if caller.role is Role.ADMIN or caller.user_id == student_id:
        return await _student(conn, student_id)
    if caller.role is Role.TEACHER:
        if await teacher_has_student(conn, teacher_id=caller.user_id, student_id=student_id):
            return await _student(conn, student_id)
        raise NotAllowed(
            "Only a teacher of one of this student's classes can see their data; this student "
            "is not enrolled in any of your classes",
            relationship="teacher_of_student",
        )
    raise NotAllowed(
        "You can see only your own progress: a student's data is visible to them and to the "
        "teacher of their class",
        relationship="self",
    )


async def student_for_teacher(conn: Conn, caller: Caller, student_id: UUID) -> User:
    """Like `student_visible_to`, but for teacher-only views (reports)."""
    ensure_staff(caller, "A student report")
    return await student_visible_to(conn, caller, student_id)


async def class_taught_by(conn: Conn, caller: Caller, class_id: UUID) -> SchoolClass:
    """The class, if `caller` is its teacher (or an admin)."""
    ensure_staff(caller, "A class overview")
    school_class = await get_class(conn, class_id=class_id)
    if school_class is None:
        raise NotFound(f"No class with id {class_id}")
    if caller.role is not Role.ADMIN and school_class.teacher_id != caller.user_id:
        raise NotAllowed(
            f"Only the teacher of {school_class.name!r} can see it; it is not one of your classes",
            relationship="teacher_of_class",
        )
    return school_class


async def alert_resolvable_by(conn: Conn, caller: Caller, alert: StruggleAlert) -> None:
    ensure_staff(caller, "Resolving an alert")
    if caller.role is Role.ADMIN:
        return
    if not await teacher_has_student(conn, teacher_id=caller.user_id, student_id=alert.student_id):
        raise NotAllowed(
            "Only a teacher of the student's class can resolve this alert; the student is not "
            "in any of your classes",
            relationship="teacher_of_student",
        )
