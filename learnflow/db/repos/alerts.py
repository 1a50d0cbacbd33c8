"""Struggle alerts for teachers: one per struggle episode (`learnflow.progress.struggle`)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from learnflow.db.models import StruggleAlert
from learnflow.db.pool import Conn
from learnflow.db.repos._rows import fetch_all, fetch_one, insert_or_get
from learnflow.errors import NotFound
from learnflow.progress.struggle import Detection, StruggleTrigger


async def open_alert(
    conn: Conn,
    *,
    student_id: UUID,
    trigger: StruggleTrigger,
    episode_key: str,
    topic: str | None = None,
    detail: str = "",
    at: datetime | None = None,
) -> tuple[StruggleAlert, bool]:
    """Open the alert of an episode unless it exists; returns (alert, created).

    Publish `struggle.detected` only when `created` is True: that is once per episode, however
    often the triggering events are redelivered.
    """
    return await insert_or_get(
        conn,
        StruggleAlert,
        "insert into struggle_alerts (student_id, topic, trigger, detail, episode_key, created_at)"
        " values (%s, %s, %s, %s, %s, coalesce(%s::timestamptz, now()))"
        " on conflict (episode_key) do nothing returning *",
        (student_id, topic, StruggleTrigger(trigger).value, detail, episode_key, at),
        select="select * from struggle_alerts where episode_key = %s",
        select_params=(episode_key,),
        vanished=NotFound(f"The alert of episode {episode_key} vanished; retry"),
    )


async def open_alert_for(
    conn: Conn, *, student_id: UUID, detection: Detection
) -> tuple[StruggleAlert, bool]:
    """`open_alert` from a `Detection` of the struggle rules."""
    return await open_alert(
        conn,
        student_id=student_id,
        trigger=detection.trigger,
        episode_key=detection.episode_key,
        topic=detection.topic,
        detail=detection.detail,
        at=detection.at,
    )


async def get_alert(conn: Conn, *, alert_id: UUID) -> StruggleAlert | None:
    return await fetch_one(
        conn, StruggleAlert, "select * from struggle_alerts where id = %s", (alert_id,)
    )


async def resolve_alert(conn: Conn, *, alert_id: UUID, resolved_by: UUID) -> StruggleAlert:
    """Mark an alert resolved; resolving a resolved alert changes nothing and returns it."""
    resolved = await fetch_one(
        conn,
        StruggleAlert,
        "update struggle_alerts set status = 'resolved', resolved_at = now(), resolved_by = %s"
        " where id = %s and status = 'open' returning *",
        (resolved_by, alert_id),
    )
    if resolved is not None:
        return resolved
    existing = await get_alert(conn, alert_id=alert_id)
    if existing is None:
        raise NotFound(f"No struggle alert with id {alert_id}")
    return existing


async def list_open_alerts(
    conn: Conn, *, teacher_id: UUID | None = None, student_id: UUID | None = None
) -> list[StruggleAlert]:
    """Open alerts, newest first: of one student, of one teacher's students, or all (admins)."""
    return await fetch_all(
        conn,
        StruggleAlert,
        "select a.* from struggle_alerts a where a.status = 'open'"
        " and (%(student)s::uuid is null or a.student_id = %(student)s)"
        " and (%(teacher)s::uuid is null or exists (select 1 from enrollments e"
        " join classes c on c.id = e.class_id"
        " where e.student_id = a.student_id and c.teacher_id = %(teacher)s))"
        " order by a.created_at desc, a.id",
        {"student": student_id, "teacher": teacher_id},
    )
