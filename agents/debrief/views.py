"""Read models built from stored data: a student's progress, the next exercise to do, a class
overview, alerts with names. Pure reads; the access checks are the caller's (`access`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from psycopg.rows import class_row

from debrief_agent import topics
from debrief_agent.models import (
    AlertView,
    ClassOverview,
    ClassStudent,
    ClassSummary,
    ClassTopic,
    ExerciseCard,
    NextExercise,
    StudentProgress,
    TopicProgress,
)
from learnflow.db.models import (
    ExerciseStatus,
    Progress,
    Role,
    SchoolClass,
    StruggleAlert,
    User,
)
from learnflow.db.pool import Conn
from learnflow.db.repos.assignments import list_assignments_for_student
from learnflow.db.repos.attempts import list_exercise_attempts
from learnflow.db.repos.classes import (
    list_classes_for_student,
    list_classes_for_teacher,
    list_students,
)
from learnflow.db.repos.exercises import get_custom_exercise
from learnflow.db.repos.progress import list_class_progress, list_progress
from learnflow.db.repos.users import get_user
from learnflow.progress.mastery import Level, round_half_up

# The difficulty that fits each level, and where to look when those are all done: harder first.
DIFFICULTY_FOR_LEVEL: dict[Level, str] = {
    Level.BEGINNER: "easy",
    Level.LEARNING: "medium",
    Level.PROFICIENT: "hard",
    Level.MASTERED: "hard",
}
FALLBACK_DIFFICULTIES: dict[str, tuple[str, ...]] = {
    "easy": ("easy", "medium", "hard"),
    "medium": ("medium", "hard", "easy"),
    "hard": ("hard", "medium", "easy"),
}


def _mean(values: Sequence[int]) -> int:
    return int(round_half_up(sum(values) / len(values))) if values else 0


def topic_progress(topic: str, row: Progress | None) -> TopicProgress:
    number, title = topics.title_of(topic)
    mastery = row.mastery if row is not None else 0
    level = row.level if row is not None else Level.BEGINNER
    return TopicProgress(
        topic=topic,
        module_number=number,
        title=title,
        label=f"{topics.label_of(topic)} — {mastery}%",
        mastery=mastery,
        level=level,
        level_label=level.label,
        exercise_score=row.exercise_score if row else 0.0,
        quiz_score=row.quiz_score if row else 0.0,
        code_quality_score=row.code_quality_score if row else 0.0,
        streak_days=row.streak_days if row else 0,
        last_activity_at=row.last_activity_at if row else None,
        started=row is not None,
    )


def progress_of(student: User, rows: Iterable[Progress]) -> StudentProgress:
    """Every curriculum module in teaching order (0% when not started), then other topics."""
    by_topic = {row.topic: row for row in rows}
    modules = topics.module_ids()
    listed = [topic_progress(m, by_topic.get(m)) for m in modules]
    listed += [topic_progress(t, row) for t, row in sorted(by_topic.items()) if t not in modules]
    curriculum = [t.mastery for t in listed if t.topic in modules]
    return StudentProgress(
        student_id=student.id,
        display_name=student.display_name,
        overall_mastery=_mean(curriculum),
        topics=listed,
    )


async def student_progress(conn: Conn, student: User) -> StudentProgress:
    return progress_of(student, await list_progress(conn, student_id=student.id))


# --- the next exercise ----------------------------------------------------------------------------


def _card(exercise_id: str, source: str = "curriculum") -> ExerciseCard | None:
    found = topics.exercise(exercise_id)
    if found is None:
        return None
    return ExerciseCard(
        exercise_id=found.id,
        title=found.title,
        topic=found.module,
        topic_title=topics.label_of(found.module),
        difficulty=found.difficulty,
        prompt=found.prompt,
        starter=found.starter,
        source="assignment" if source == "assignment" else "curriculum",
    )


async def _assignment_card(conn: Conn, exercise_id: str) -> ExerciseCard | None:
    card = _card(exercise_id, "assignment")
    if card is not None:
        return card
    custom = await get_custom_exercise(conn, exercise_id=exercise_id)
    if custom is None or custom.status is not ExerciseStatus.READY:
        return None
    return ExerciseCard(
        exercise_id=custom.id,
        title=custom.title,
        topic=custom.topic,
        topic_title=topics.label_of(custom.topic),
        difficulty=custom.difficulty.value,
        prompt=custom.prompt,
        starter=custom.starter,
        source="assignment",
    )


def topic_order(progress: StudentProgress) -> list[TopicProgress]:
    """Where to practise, first to last: started and not mastered topics, weakest first (ties in
    teaching order); then the modules not started yet, in teaching order; then the rest."""
    modules = [t for t in progress.topics if t.module_number is not None]
    working = sorted(
        (t for t in modules if t.started and t.level is not Level.MASTERED),
        key=lambda t: (t.mastery, t.module_number or 0),
    )
    fresh = [t for t in modules if not t.started]
    rest = [t for t in modules if t not in working and t not in fresh]
    return working + fresh + rest


def pick_exercise(
    progress: StudentProgress, passed: set[str]
) -> tuple[ExerciseCard, TopicProgress] | None:
    """The first exercise not passed yet, on the first topic of `topic_order` that has one, at
    the difficulty of the student's level there (else the nearest difficulty, harder first)."""
    catalog = topics.catalog()
    for topic in topic_order(progress):
        wanted = DIFFICULTY_FOR_LEVEL[topic.level]
        for difficulty in FALLBACK_DIFFICULTIES[wanted]:
            for exercise in catalog.exercises_for(topic.topic):
                if exercise.difficulty == difficulty and exercise.id not in passed:
                    card = _card(exercise.id)
                    if card is not None:
                        return card, topic
    return None


async def next_exercise(conn: Conn, progress: StudentProgress) -> NextExercise:
    """An unfinished assignment of the student's class first (oldest first); otherwise an
    exercise on the weakest topic at the difficulty of their level there."""
    student_id = progress.student_id
    attempts = await list_exercise_attempts(conn, student_id=student_id)
    passed = {a.exercise_id for a in attempts if a.passed}
    assignments = await list_assignments_for_student(conn, student_id=student_id)
    for assignment in sorted(assignments, key=lambda a: a.assigned_at):
        if assignment.exercise_id in passed:
            continue
        card = await _assignment_card(conn, assignment.exercise_id)
        if card is not None:
            due = f", due {assignment.due_at:%a %d %b %Y}" if assignment.due_at else ""
            teacher = await get_user(conn, user_id=assignment.assigned_by)
            by = teacher.display_name if teacher else "your teacher"
            return NextExercise(
                student_id=student_id,
                exercise=card,
                reason=f"Assigned by {by} on {assignment.assigned_at:%a %d %b}{due}.",
            )
    picked = pick_exercise(progress, passed)
    if picked is None:
        return NextExercise(
            student_id=student_id,
            exercise=None,
            reason="You have passed every exercise in the curriculum. Ask your teacher for a "
            "new challenge!",
        )
    card, topic = picked
    if topic.started:
        reason = (
            f"{topic.title} is where you have the most to gain ({topic.mastery}%, "
            f"{topic.level_label}); this {card.difficulty} exercise fits that level."
        )
    else:
        article = "An" if card.difficulty == "easy" else "A"
        reason = (
            f"Next up: {topic.title}, which you have not started yet. {article} "
            f"{card.difficulty} exercise to begin with."
        )
    return NextExercise(student_id=student_id, exercise=card, reason=reason)


# --- alerts and classes ---------------------------------------------------------------------------


async def names_of(conn: Conn, user_ids: Iterable[UUID]) -> dict[UUID, str]:
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return {}
    cur = await conn.execute("select id, display_name from users where id = any(%s)", (ids,))
    return {user_id: name for user_id, name in await cur.fetchall()}


def alert_view(alert: StruggleAlert, names: dict[UUID, str]) -> AlertView:
    return AlertView(
        id=alert.id,
        student_id=alert.student_id,
        student_name=names.get(alert.student_id, str(alert.student_id)),
        topic=alert.topic,
        topic_title=topics.label_of(alert.topic) if alert.topic else None,
        trigger=alert.trigger.value,
        detail=alert.detail,
        status=alert.status.value,
        created_at=alert.created_at,
        resolved_at=alert.resolved_at,
        resolved_by=alert.resolved_by,
    )


async def alert_views(conn: Conn, alerts: Sequence[StruggleAlert]) -> list[AlertView]:
    names = await names_of(conn, (a.student_id for a in alerts))
    return [alert_view(a, names) for a in alerts]


async def open_alert_counts(conn: Conn, student_ids: Sequence[UUID]) -> dict[UUID, int]:
    if not student_ids:
        return {}
    cur = await conn.execute(
        "select student_id, count(*) from struggle_alerts where status = 'open'"
        " and student_id = any(%s) group by student_id",
        (list(student_ids),),
    )
    return {student_id: int(count) for student_id, count in await cur.fetchall()}


async def class_overview(conn: Conn, school_class: SchoolClass) -> ClassOverview:
    teacher = await get_user(conn, user_id=school_class.teacher_id)
    students = await list_students(conn, class_id=school_class.id)
    rows = await list_class_progress(conn, class_id=school_class.id)
    alerts = await open_alert_counts(conn, [s.id for s in students])
    modules = topics.module_ids()
    by_student: dict[UUID, list[Progress]] = {}
    for row in rows:
        by_student.setdefault(row.student_id, []).append(row)

    listed: list[ClassStudent] = []
    for student in students:
        mine = by_student.get(student.id, [])
        mastery = {row.topic: row.mastery for row in mine}
        last = max((r.last_activity_at for r in mine if r.last_activity_at), default=None)
        listed.append(
            ClassStudent(
                id=student.id,
                display_name=student.display_name,
                email=student.email,
                average_mastery=_mean([mastery.get(m, 0) for m in modules]),
                mastery=mastery,
                open_alerts=alerts.get(student.id, 0),
                last_activity_at=last,
            )
        )
    class_topics = [
        ClassTopic(
            topic=module,
            title=topics.label_of(module),
            average_mastery=_mean([s.mastery.get(module, 0) for s in listed]),
            students_started=sum(1 for s in listed if module in s.mastery),
        )
        for module in modules
    ]
    return ClassOverview(
        id=school_class.id,
        name=school_class.name,
        teacher_id=school_class.teacher_id,
        teacher_name=teacher.display_name if teacher else "",
        students=listed,
        topics=class_topics,
        open_alerts=sum(alerts.values()),
    )


async def classes_of(conn: Conn, user_id: UUID, role: Role) -> list[ClassSummary]:
    """The classes a teacher teaches, a student is enrolled in, or (admins) every class."""
    if role is Role.ADMIN:
        async with conn.cursor(row_factory=class_row(SchoolClass)) as rows:
            await rows.execute("select * from classes order by name, id")
            found = await rows.fetchall()
    elif role is Role.TEACHER:
        found = await list_classes_for_teacher(conn, teacher_id=user_id)
    else:
        found = await list_classes_for_student(conn, student_id=user_id)
    cur = await conn.execute(
        "select class_id, count(*) from enrollments where class_id = any(%s) group by class_id",
        ([c.id for c in found],),
    )
    counts = {class_id: int(n) for class_id, n in await cur.fetchall()}
    return [
        ClassSummary(id=c.id, name=c.name, teacher_id=c.teacher_id, students=counts.get(c.id, 0))
        for c in found
    ]


# --- the teacher's loop ---------------------------------------------------------------------------


async def code_attempts(conn: Conn, student_id: UUID, *, limit: int = 20) -> list[dict[str, Any]]:
    """Runs and graded submissions, newest first, with the per-test outcomes of graded ones."""
    cur = await conn.execute(
        "select s.id, s.exercise_id, s.topic, s.code, s.status, s.passed, s.stdout_excerpt,"
        " s.stderr_excerpt, s.duration_ms, s.error_type, s.created_at,"
        " a.tests_passed, a.tests_total, a.tests"
        " from code_submissions s left join lateral (select * from exercise_attempts x"
        "   where x.submission_key = s.submission_key and s.submission_key is not null"
        "   order by x.created_at desc limit 1) a on true"
        " where s.student_id = %s order by s.created_at desc, s.id desc limit %s",
        (student_id, limit),
    )
    names = [
        "id", "exercise_id", "topic", "code", "status", "passed", "stdout_excerpt",
        "stderr_excerpt", "duration_ms", "error_type", "created_at", "tests_passed",
        "tests_total", "tests",
    ]  # fmt: skip
    attempts = []
    for row in await cur.fetchall():
        item = dict(zip(names, row, strict=True))
        item["id"] = str(item["id"])
        item["created_at"] = item["created_at"].isoformat()
        item["tests"] = item["tests"] or []
        attempts.append(item)
    return attempts


async def student_assignments(conn: Conn, student_id: UUID) -> list[dict[str, Any]]:
    """The student's assignments, oldest due first, with who assigned them and if done."""
    assignments = await list_assignments_for_student(conn, student_id=student_id)
    attempts = await list_exercise_attempts(conn, student_id=student_id)
    passed = {a.exercise_id for a in attempts if a.passed}
    listed = []
    for assignment in assignments:
        card = await _assignment_card(conn, assignment.exercise_id)
        if card is None:
            continue
        teacher = await get_user(conn, user_id=assignment.assigned_by)
        listed.append(
            {
                "assignment_id": str(assignment.id),
                "exercise_id": assignment.exercise_id,
                "title": card.title,
                "topic_title": card.topic_title,
                "difficulty": card.difficulty,
                "assigned_by": teacher.display_name if teacher else "",
                "assigned_at": assignment.assigned_at.isoformat(),
                "due_at": assignment.due_at.isoformat() if assignment.due_at else None,
                "done": assignment.exercise_id in passed,
            }
        )
    far = datetime.max.replace(tzinfo=UTC)
    listed.sort(key=lambda a: (a["done"], a["due_at"] or far.isoformat()))
    return listed


async def mastery_trend(conn: Conn, student_id: UUID, *, points: int = 12) -> dict[str, Any]:
    """Per topic, the student's mastery after each change (oldest first, the last `points`),
    and the change over the last 7 days."""
    cur = await conn.execute(
        "select topic, mastery, at from (select *, row_number() over"
        " (partition by topic order by at desc, source_id) as n from progress_history"
        " where student_id = %s) h where n <= %s order by topic, at, source_id",
        (student_id, points),
    )
    rows = await cur.fetchall()
    week_ago = datetime.now(UTC).timestamp() - 7 * 86400
    topics_out: dict[str, Any] = {}
    for topic, mastery, at in rows:
        entry = topics_out.setdefault(topic, {"title": topics.label_of(topic), "points": []})
        entry["points"].append({"at": at.isoformat(), "mastery": int(mastery)})
    for entry in topics_out.values():
        values = entry["points"]
        older = [p for p in values if datetime.fromisoformat(p["at"]).timestamp() < week_ago]
        start = older[-1]["mastery"] if older else 0
        entry["change_7d"] = values[-1]["mastery"] - start
    return {"student_id": str(student_id), "topics": topics_out}
