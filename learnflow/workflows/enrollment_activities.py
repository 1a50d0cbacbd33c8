"""The enrollment workflow's activities; each is safe to run twice."""

from __future__ import annotations

from uuid import UUID

from learnflow import outbox
from learnflow.curriculum import load_catalog
from learnflow.db.repos.classes import get_class
from learnflow.db.repos.users import get_user
from learnflow.errors import NotFound
from learnflow.events import NotificationCreated
from learnflow.workflows import enrollment as wf_enrollment
from learnflow.workflows.activities import activity, database
from learnflow.workflows.activity_models import ClassFigures, JoinRef, ProgressInitialised, Welcomed
from learnflow.workflows.session_activities import event_id

WELCOME_KIND = "class.welcome"


@activity(wf_enrollment.INIT_PROGRESS)
async def init_student_progress(payload: JoinRef) -> ProgressInitialised:
    """A progress row per curriculum module (kept as it is where the student already has one)."""
    topics = [module.id for module in load_catalog().modules]
    async with database() as conn:
        for topic in topics:
            await conn.execute(
                "insert into progress (student_id, topic) values (%s, %s)"
                " on conflict (student_id, topic) do nothing",
                (UUID(payload.student_id), topic),
            )
    return ProgressInitialised(topics=len(topics))


@activity(wf_enrollment.WELCOME)
async def send_welcome_notification(payload: JoinRef) -> Welcomed:
    """One welcome per join (unique on the join's event id); its `notification.created` event
    goes to triage's outbox in the same transaction, so a retried activity stores and queues
    nothing new (the event id is derived from the join)."""
    student_id = UUID(payload.student_id)
    source_id = f"enroll-{payload.join_id}"
    async with database() as conn:
        school_class = await get_class(conn, class_id=UUID(payload.class_id))
        if school_class is None:
            raise NotFound(f"no class {payload.class_id}")
        teacher = await get_user(conn, user_id=school_class.teacher_id)
        who = teacher.display_name if teacher else "your teacher"
        cur = await conn.execute(
            "insert into notifications (user_id, kind, title, body, link, event_id)"
            " values (%s, %s, %s, %s, %s, %s) on conflict (event_id, user_id) do nothing"
            " returning id",
            (
                student_id,
                WELCOME_KIND,
                f"Welcome to {school_class.name}",
                f"You joined {who}'s class. Your progress in every module starts here; "
                "assignments and exams from the class will show on your dashboard.",
                "/dashboard",
                source_id,
            ),
        )
        row = await cur.fetchone()
        if row is None:
            found = await conn.execute(
                "select id from notifications where event_id = %s and user_id = %s",
                (source_id, student_id),
            )
            row = await found.fetchone()
        if row is None:
            raise NotFound(f"the welcome of join {payload.join_id} is neither new nor stored")
        await outbox.add(  # a retried attempt queues the same id: a no-op
            conn,
            NotificationCreated(
                id=event_id(source_id, "welcome"),
                source="triage",
                user_id=str(student_id),
                notification_id=str(row[0]),
                kind=WELCOME_KIND,
            ),
            source_event_id=source_id,
            partition_key=str(student_id),
        )
    outbox.wake()
    return Welcomed(created=True, notification_id=str(row[0]))


@activity(wf_enrollment.FIGURES)
async def update_class_figures(payload: JoinRef) -> ClassFigures:
    """Recompute the class's figures from its enrollments (a replay writes the same numbers)."""
    class_id = UUID(payload.class_id)
    async with database() as conn:
        cur = await conn.execute(
            "insert into class_figures (class_id, enrolled, removed, welcomed, last_join_at)"
            " select %(c)s,"
            "  count(*) filter (where e.removed_at is null),"
            "  count(*) filter (where e.removed_at is not null),"
            "  (select count(distinct n.user_id) from notifications n join enrollments e2"
            "     on e2.student_id = n.user_id and e2.class_id = %(c)s"
            "   where n.kind = %(k)s and n.event_id = 'enroll-' || e2.join_id::text),"
            "  max(e.enrolled_at)"
            " from enrollments e where e.class_id = %(c)s"
            " on conflict (class_id) do update set enrolled = excluded.enrolled,"
            "  removed = excluded.removed, welcomed = excluded.welcomed,"
            "  last_join_at = excluded.last_join_at, updated_at = now()"
            " returning enrolled",
            {"c": class_id, "k": WELCOME_KIND},
        )
        row = await cur.fetchone()
    return ClassFigures(enrolled=int(row[0]) if row else 0)
