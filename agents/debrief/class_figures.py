"""The figures of a class report that are not in the overview: how the class spreads over the
mastery levels of each module, the exercises it fails most, and each student's time on task.

Time on task is measured the way the session workflow measures it
(`learnflow.workflows.session.apply_event`): the gaps between a student's consecutive actions
(messages sent, code runs, graded submissions, quiz attempts) count when they are at most
`active_gap_s` apart; a longer gap is a break. It covers all stored work, not only finalized
sessions. Pure reads; access checks are the caller's.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from debrief_agent import topics
from debrief_agent.models import ClassStudent, FailedExercise, ModuleSpread, StudentTime
from learnflow.db.pool import Conn
from learnflow.progress.mastery import Level, level_for

MOST_FAILED = 10


def mastery_spread(students: Sequence[ClassStudent]) -> list[ModuleSpread]:
    """Per curriculum module: how many students are at each level, and how many have not
    started it (no activity on it yet)."""
    spread: list[ModuleSpread] = []
    for module in topics.module_ids():
        counts = {level: 0 for level in Level}
        not_started = 0
        for student in students:
            if module in student.mastery:
                counts[level_for(student.mastery[module])] += 1
            else:
                not_started += 1
        spread.append(
            ModuleSpread(
                topic=module,
                title=topics.label_of(module),
                not_started=not_started,
                beginner=counts[Level.BEGINNER],
                learning=counts[Level.LEARNING],
                proficient=counts[Level.PROFICIENT],
                mastered=counts[Level.MASTERED],
            )
        )
    return spread


async def most_failed_exercises(
    conn: Conn, student_ids: Sequence[UUID], *, limit: int = MOST_FAILED
) -> list[FailedExercise]:
    """Exercises with failed graded submissions, most failed attempts first."""
    if not student_ids:
        return []
    cur = await conn.execute(
        "select exercise_id,"
        " count(*) filter (where not passed) as failed,"
        " count(*) as attempts,"
        " count(distinct student_id) filter (where not passed) as students_failed,"
        " count(distinct student_id) filter (where passed) as students_passed"
        " from exercise_attempts where student_id = any(%s)"
        " group by exercise_id having count(*) filter (where not passed) > 0"
        " order by failed desc, students_failed desc, exercise_id limit %s",
        (list(student_ids), limit),
    )
    found: list[FailedExercise] = []
    for exercise_id, failed, attempts, students_failed, students_passed in await cur.fetchall():
        topic = topics.topic_of_exercise(exercise_id)
        found.append(
            FailedExercise(
                exercise_id=exercise_id,
                title=topics.exercise_title(exercise_id),
                topic=topic,
                topic_title=topics.label_of(topic) if topic else None,
                failed_attempts=int(failed),
                attempts=int(attempts),
                students_failed=int(students_failed),
                students_passed=int(students_passed),
            )
        )
    return found


# Every stored action of a student, with its time (chat: the student's own messages).
_ACTIONS = """
    select student_id, created_at as at from code_submissions where student_id = any(%(ids)s)
    union all
    select student_id, created_at from exercise_attempts where student_id = any(%(ids)s)
    union all
    select student_id, created_at from quiz_attempts where student_id = any(%(ids)s)
    union all
    select c.student_id, m.created_at from messages m
      join conversations c on c.id = m.conversation_id
      where m.sender = 'student' and c.student_id = any(%(ids)s)
"""


async def time_on_task(
    conn: Conn, student_ids: Sequence[UUID], *, active_gap_s: float
) -> dict[UUID, StudentTime]:
    """Per student: seconds on task, actions, days with any action, the last action."""
    if not student_ids:
        return {}
    cur = await conn.execute(
        "with actions as (" + _ACTIONS + "),"
        " gaps as (select student_id, at,"
        "  extract(epoch from at - lag(at) over (partition by student_id order by at)) as gap"
        "  from actions)"
        " select student_id,"
        "  coalesce(sum(gap) filter (where gap > 0 and gap <= %(gap)s), 0),"
        "  count(*), count(distinct (at at time zone 'UTC')::date), max(at)"
        " from gaps group by student_id",
        {"ids": list(student_ids), "gap": active_gap_s},
    )
    return {
        student_id: StudentTime(
            seconds=round(float(seconds)),
            actions=int(actions),
            active_days=int(days),
            last_action_at=last,
        )
        for student_id, seconds, actions, days, last in await cur.fetchall()
    }


async def time_per_topic(conn: Conn, student_id: UUID, *, active_gap_s: float) -> dict[str, int]:
    """One student's seconds on task per topic: each counted gap goes to the topic of the action
    that ends it (chat messages carry their conversation's topic; free runs have none)."""
    cur = await conn.execute(
        "with actions as ("
        " select created_at as at, topic from code_submissions where student_id = %(id)s"
        " union all select created_at, topic from exercise_attempts where student_id = %(id)s"
        " union all select created_at, topic from quiz_attempts where student_id = %(id)s"
        " union all select m.created_at, c.topic from messages m"
        "  join conversations c on c.id = m.conversation_id"
        "  where m.sender = 'student' and c.student_id = %(id)s),"
        " gaps as (select topic,"
        "  extract(epoch from at - lag(at) over (order by at)) as gap from actions)"
        " select topic, sum(gap) from gaps"
        " where topic is not null and gap > 0 and gap <= %(gap)s group by topic",
        {"id": student_id, "gap": active_gap_s},
    )
    return {topic: round(float(seconds)) for topic, seconds in await cur.fetchall()}
