"""Notifications for students, from `exercise.assigned` events.

One transaction per delivery: a notification row for each student the assignment is for (unique
on event id and user, so a redelivery stores nothing new), and a `notification.created` event per
row in the app's outbox (`learnflow.outbox`), published by its relay so the web app can push it
to the student's browser. Reading and marking read are the student's own
(`api/routes/notifications.py`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from learnflow import outbox
from learnflow.db.pool import Conn, Pool
from learnflow.errors import NotFound
from learnflow.events import ExerciseAssigned, NotificationCreated

SOURCE = "debrief"


class NotificationView(BaseModel):
    id: UUID
    kind: str
    title: str
    body: str
    link: str | None
    created_at: datetime
    read_at: datetime | None


class NotificationList(BaseModel):
    unread: int
    items: list[NotificationView]


def _text(event: ExerciseAssigned) -> tuple[str, str]:
    who = event.teacher_name or "Your teacher"
    due = f" Due {event.due_at:%a %d %b %Y}." if event.due_at else ""
    return f"New exercise from {who}: {event.title}", f"Assigned by {who}.{due}"


async def on_exercise_assigned(pool: Pool, event: ExerciseAssigned) -> int:
    """Store one notification per student (once); returns how many were new."""
    title, body = _text(event)
    created = 0
    async with pool.connection() as conn, conn.transaction():
        for student in event.student_ids:
            cur = await conn.execute(
                "insert into notifications (user_id, kind, title, body, link, event_id)"
                " select %s, 'exercise.assigned', %s, %s, %s, %s"
                " where exists (select 1 from users where id = %s)"
                " on conflict (event_id, user_id) do nothing returning id",
                (student, title, body, f"/learn?exercise={event.exercise_id}", event.id, student),
            )
            row = await cur.fetchone()
            if row is None:
                continue
            created += 1
            await outbox.add(
                conn,
                NotificationCreated(
                    id=outbox.derived_id("notification.created", event.id, student),
                    source=SOURCE,
                    user_id=student,
                    notification_id=str(row[0]),
                    kind="exercise.assigned",
                ),
                source_event_id=event.id,
            )
    outbox.wake()
    return created


async def list_for(conn: Conn, *, user_id: UUID, limit: int = 30) -> NotificationList:
    cur = await conn.execute(
        "select id, kind, title, body, link, created_at, read_at from notifications"
        " where user_id = %s order by created_at desc, id limit %s",
        (user_id, limit),
    )
    rows: list[Any] = await cur.fetchall()
    items = [
        NotificationView(
            id=r[0], kind=r[1], title=r[2], body=r[3], link=r[4], created_at=r[5], read_at=r[6]
        )
        for r in rows
    ]
    cur = await conn.execute(
        "select count(*) from notifications where user_id = %s and read_at is null", (user_id,)
    )
    unread = (await cur.fetchone() or (0,))[0]
    return NotificationList(unread=int(unread), items=items)


async def mark_read(conn: Conn, *, user_id: UUID, notification_id: UUID) -> None:
    """Mark one of the user's notifications read (again: no change)."""
    cur = await conn.execute(
        "update notifications set read_at = coalesce(read_at, now())"
        " where id = %s and user_id = %s returning id",
        (notification_id, user_id),
    )
    if await cur.fetchone() is None:
        raise NotFound(f"You have no notification {notification_id}")
