"""The facts debriefs and reports are written from — all read from stored data or the session's
tally, never invented. The agent turns them into prose (`agent`); the lists (practised,
mistakes, next steps, who needs attention) are computed here so they are the same whatever
model writes the prose."""

from __future__ import annotations

from collections import Counter
from uuid import UUID

from pydantic import BaseModel

from debrief_agent import topics, views
from debrief_agent.models import (
    AttentionItem,
    ClassOverview,
    ClassReport,
    ExerciseCard,
    QuizBest,
    StudentProgress,
    StudentReport,
    TopicProgress,
)
from learnflow.contracts import SessionSummaryRequest, SessionTally
from learnflow.db.models import SchoolClass, User
from learnflow.db.pool import Conn
from learnflow.db.repos.alerts import list_open_alerts
from learnflow.db.repos.attempts import list_exercise_attempts, list_quiz_attempts
from learnflow.db.repos.debriefs import list_debriefs
from learnflow.db.repos.submissions import list_submissions
from learnflow.errors import NotFound

# What each error type means, in a beginner's words (error types come from the code runner).
ERROR_TIPS: dict[str, str] = {
    "TypeError": "an operation got a value of the wrong type (e.g. adding a str to an int)",
    "NameError": "a name was used before it was defined, or it is misspelled",
    "SyntaxError": "Python could not read the code: look for a missing colon, bracket or quote",
    "IndentationError": "the indentation of a block is inconsistent",
    "IndexError": "an index went past the end of a sequence (indexes start at 0)",
    "KeyError": "a dictionary key was missing: check it exists, or use .get()",
    "ValueError": "a value had the right type but the wrong content (e.g. int('abc'))",
    "AttributeError": "an object has no attribute or method with that name",
    "ZeroDivisionError": "a division by zero",
    "RecursionError": "a function called itself without ever stopping",
    "AssertionError": "a test's expected value differed from yours",
    "wrong_answer": "the code ran but gave wrong answers for some tests",
    "timeout": "the program ran too long: look for a loop that never ends",
    "memory_limit": "the program used too much memory: look for a list that keeps growing",
    "output_limit": "the program printed too much: often a loop printing forever",
}
DEBUGGING_LESSON = "errors.debugging"
REPORT_SUBMISSIONS = 200


def error_tip(error_type: str) -> str:
    return ERROR_TIPS.get(error_type, "the last line of the error message names the problem")


def _lesson_title(lesson_id: str) -> str | None:
    try:
        return topics.catalog().lesson(lesson_id).title
    except NotFound:  # a missing lesson only drops a suggestion
        return None


# --- session debrief ------------------------------------------------------------------------------


class SessionFacts(BaseModel):
    session_id: str
    mode: str
    topic: str | None
    topic_title: str | None
    student_name: str | None = None
    minutes: int
    tally: SessionTally
    practised: list[str]
    mistakes: list[str]
    next_steps: list[str]
    progress: TopicProgress | None = None
    next_exercise: ExerciseCard | None = None


def practised_of(tally: SessionTally, topic: str | None) -> list[str]:
    items: list[str] = []
    passed = set(tally.exercises_passed)
    for exercise_id in dict.fromkeys([*tally.exercises_attempted, *tally.exercises_passed]):
        state = "passed" if exercise_id in passed else "not passed yet"
        items.append(f"Exercise “{topics.exercise_title(exercise_id)}” ({state})")
    if tally.quiz_answers:
        items.append(f"Quiz questions: {tally.quiz_correct}/{tally.quiz_answers} right")
    if tally.runs and not items:
        items.append(f"Ran code {tally.runs} time{'s' if tally.runs != 1 else ''}")
    if not items and topic:
        items.append(topics.label_of(topic))
    return items


def _by_count(item: tuple[str, int]) -> tuple[int, str]:
    return -item[1], item[0]


def mistakes_of(tally: SessionTally) -> list[str]:
    items = [
        f"{error_type} ×{count}: {error_tip(error_type)}"
        for error_type, count in sorted(tally.errors_by_type.items(), key=_by_count)
        if count > 0
    ]
    if tally.failed_runs:
        items.append(f"{tally.failed_runs} of {tally.runs} runs failed")
    if tally.quiz_answers and tally.quiz_correct * 2 < tally.quiz_answers:
        items.append(f"Quiz: {tally.quiz_correct}/{tally.quiz_answers}, under half right")
    return items


def next_steps_of(
    tally: SessionTally, topic: str | None, next_exercise: ExerciseCard | None
) -> list[str]:
    steps: list[str] = []
    passed = set(tally.exercises_passed)
    for exercise_id in dict.fromkeys(tally.exercises_attempted):
        if exercise_id not in passed:
            steps.append(
                f"Finish “{topics.exercise_title(exercise_id)}”: read the failing test's message "
                "and change one thing at a time"
            )
    if tally.errors_by_type:
        top = max(tally.errors_by_type.items(), key=lambda kv: (kv[1], kv[0]))[0]
        lesson = _lesson_title(DEBUGGING_LESSON)
        where = f" (lesson “{lesson}”)" if lesson else ""
        steps.append(f"Before the next run, look at why the {top} happened{where}")
    if tally.quiz_answers and tally.quiz_correct * 2 < tally.quiz_answers:
        where = topics.label_of(topic) if topic else "this topic"
        steps.append(f"Re-read the lessons of {where}, then retake its quiz")
    if tally.hints_used >= 3:
        steps.append("Next time, try a nudge hint first and give it a few minutes before the next")
    if next_exercise is not None and next_exercise.exercise_id not in passed:
        steps.append(
            f"Next exercise: “{next_exercise.title}” ({next_exercise.difficulty}, "
            f"{next_exercise.topic_title})"
        )
    if not steps:
        steps.append("Ask the tutor for an exercise to practise what you learned")
    return steps


def session_facts(
    request: SessionSummaryRequest,
    *,
    student: User | None,
    progress: StudentProgress | None,
    next_exercise: ExerciseCard | None,
) -> SessionFacts:
    tally = request.tally
    topic = request.topic or _main_topic(tally)
    return SessionFacts(
        session_id=request.session_id,
        mode=request.mode,
        topic=topic,
        topic_title=topics.label_of(topic) if topic else None,
        student_name=student.display_name if student else None,
        minutes=round(tally.time_on_task_s / 60),
        tally=tally,
        practised=practised_of(tally, topic),
        mistakes=mistakes_of(tally),
        next_steps=next_steps_of(tally, topic, next_exercise),
        progress=progress.topic(topic) if progress and topic else None,
        next_exercise=next_exercise,
    )


def _main_topic(tally: SessionTally) -> str | None:
    found = Counter(
        t for t in (topics.topic_of_exercise(e) for e in tally.exercises_attempted) if t is not None
    )
    return found.most_common(1)[0][0] if found else None


# --- teacher reports ------------------------------------------------------------------------------


async def student_report(conn: Conn, student: User) -> StudentReport:
    progress = await views.student_progress(conn, student)
    submissions = await list_submissions(conn, student_id=student.id, limit=REPORT_SUBMISSIONS)
    attempts = await list_exercise_attempts(conn, student_id=student.id)
    quizzes = await list_quiz_attempts(conn, student_id=student.id)
    alerts = await list_open_alerts(conn, student_id=student.id)
    debriefs = await list_debriefs(conn, student_id=student.id, limit=3)
    passed = list(dict.fromkeys(a.exercise_id for a in attempts if a.passed))
    unsolved = [e for e in dict.fromkeys(a.exercise_id for a in attempts) if e not in passed]
    errors = Counter(s.error_type for s in submissions if s.error_type)
    best: dict[str, QuizBest] = {}
    for quiz in quizzes:
        current = best.get(quiz.topic)
        count = (current.attempts if current else 0) + 1
        if current is None or quiz.score * current.total > current.score * quiz.total:
            best[quiz.topic] = QuizBest(
                topic=quiz.topic, score=quiz.score, total=quiz.total, attempts=count
            )
        else:
            best[quiz.topic] = current.model_copy(update={"attempts": count})
    failed = sum(1 for s in submissions if s.passed is False or s.status not in ("ok", "pass"))
    return StudentReport(
        student=progress,
        summary="",
        runs=len(submissions),
        failed_runs=failed,
        error_types=dict(errors.most_common()),
        exercises_passed=passed,
        exercises_unsolved=unsolved,
        quizzes=list(best.values()),
        open_alerts=await views.alert_views(conn, alerts),
        recent_debriefs=[d.summary for d in debriefs],
        next_exercise=await views.next_exercise(conn, progress),
    )


# What each struggle trigger means, in the words a teacher reads (never the raw token).
TRIGGER_WORDS: dict[str, str] = {
    "repeated_error": "the same error again and again",
    "stuck_on_exercise": "stuck on one exercise",
    "low_quiz_score": "a low quiz score",
    "says_confused": "says they are stuck or lost",
    "failed_run_streak": "many failed runs in a row",
}


def trigger_words(trigger: str) -> str:
    return TRIGGER_WORDS.get(trigger, trigger.replace("_", " "))


def needs_attention(
    overview: ClassOverview, open_triggers: dict[UUID, list[str]]
) -> list[AttentionItem]:
    """Students with open alerts, or with started topics still under 41% (Beginner)."""
    items: list[AttentionItem] = []
    for student in overview.students:
        reasons = [
            f"open alert: {trigger_words(trigger)}" for trigger in open_triggers.get(student.id, [])
        ]
        low = [t for t, m in student.mastery.items() if m <= 40]
        if low:
            reasons.append("beginner level on " + ", ".join(topics.label_of(t) for t in low))
        if reasons:
            items.append(
                AttentionItem(
                    student_id=student.id, display_name=student.display_name, reasons=reasons
                )
            )
    return items


async def class_report(conn: Conn, school_class: SchoolClass) -> ClassReport:
    overview = await views.class_overview(conn, school_class)
    alerts = await list_open_alerts(conn, teacher_id=school_class.teacher_id)
    enrolled = {s.id for s in overview.students}
    by_student: dict[UUID, list[str]] = {}
    for alert in alerts:
        if alert.student_id in enrolled:
            by_student.setdefault(alert.student_id, []).append(alert.trigger.value)
    started = [t for t in overview.topics if t.students_started]
    strongest = max(started, key=lambda t: t.average_mastery, default=None)
    weakest = min(started, key=lambda t: t.average_mastery, default=None)
    return ClassReport(
        overview=overview,
        summary="",
        needs_attention=needs_attention(overview, by_student),
        strongest_topic=strongest.topic if strongest else None,
        weakest_topic=weakest.topic if weakest and weakest is not strongest else None,
    )
