"""The teacher's loop: assignments, a student's code attempts; a student's assignments and
notifications (callers forwarded by triage)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter

from debrief_agent import access, assigning, notifications, views
from debrief_agent.api.deps import CallerDep
from learnflow import outbox
from learnflow.api.deps import PoolDep
from learnflow.db.models import Role
from learnflow.db.repos.users import get_user
from learnflow.errors import NotAllowed, NotAuthenticated

router = APIRouter(tags=["teaching"])


@router.post("/classes/{class_id}/assignments", response_model=assigning.AssignReply)
async def assign(
    class_id: UUID,
    body: assigning.AssignRequest,
    caller: CallerDep,
    pool: PoolDep,
) -> assigning.AssignReply:
    """Assign exercises to the class or to chosen students of it (all or nothing)."""
    async with pool.connection() as conn, conn.transaction():
        school_class = await access.class_taught_by(conn, caller, class_id)
        teacher = await get_user(conn, user_id=caller.user_id)
        if teacher is None:
            raise NotAuthenticated("your account no longer exists")
        reply = await assigning.assign(conn, school_class, teacher, body)
    outbox.wake()  # the relay publishes the queued exercise.assigned events
    return reply


@router.get("/classes/{class_id}/assignments", response_model=list[assigning.AssignmentStatus])
async def class_assignments(
    class_id: UUID, caller: CallerDep, pool: PoolDep
) -> list[assigning.AssignmentStatus]:
    async with pool.connection() as conn:
        school_class = await access.class_taught_by(conn, caller, class_id)
        return await assigning.class_assignments(conn, school_class)


@router.get("/students/{student_id}/submissions")
async def student_submissions(
    student_id: UUID, caller: CallerDep, pool: PoolDep, limit: int = 20
) -> list[dict[str, Any]]:
    """The student's code attempts, newest first: code, result, per-test outcomes, time."""
    async with pool.connection() as conn:
        student = await access.student_for_teacher(conn, caller, student_id)
        return await views.code_attempts(conn, student.id, limit=max(1, min(limit, 50)))


@router.get("/students/{student_id}/trend")
async def student_trend(student_id: UUID, caller: CallerDep, pool: PoolDep) -> dict[str, Any]:
    """Mastery per topic after each change, and the change over the last week."""
    async with pool.connection() as conn:
        student = await access.student_visible_to(conn, caller, student_id)
        return await views.mastery_trend(conn, student.id)


@router.get("/students/{student_id}/assignments")
async def student_assignments(
    student_id: UUID, caller: CallerDep, pool: PoolDep
) -> list[dict[str, Any]]:
    """What the student's teachers assigned them, with due dates and whether it is done."""
    async with pool.connection() as conn:
        student = await access.student_visible_to(conn, caller, student_id)
        return await views.student_assignments(conn, student.id)


def _own(caller: access.Caller, user_id: UUID) -> None:
    if caller.user_id != user_id and caller.role is not Role.ADMIN:
        raise NotAllowed("You can read only your own notifications", relationship="self")


@router.get("/users/{user_id}/notifications", response_model=notifications.NotificationList)
async def my_notifications(
    user_id: UUID, caller: CallerDep, pool: PoolDep
) -> notifications.NotificationList:
    _own(caller, user_id)
    async with pool.connection() as conn:
        return await notifications.list_for(conn, user_id=user_id)


@router.post("/users/{user_id}/notifications/{notification_id}/read")
async def read_notification(
    user_id: UUID, notification_id: UUID, caller: CallerDep, pool: PoolDep
) -> notifications.NotificationList:
    _own(caller, user_id)
    async with pool.connection() as conn:
        await notifications.mark_read(conn, user_id=user_id, notification_id=notification_id)
        return await notifications.list_for(conn, user_id=user_id)
