"""What the debrief agent hands a small model to write (`DebriefOfflinePolicy.writing`,
`debrief_agent.writing`): a compact JSON of the task's facts, only numbers the tool returned, and
every figure of the offline answer as the tail, verbatim. Pure: the tools' JSON is built from
the models the routes build (no database)."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from debrief_agent import topics
from debrief_agent.answers import (
    class_report_lines,
    progress_lines,
    session_summary_text,
    student_report_lines,
)
from debrief_agent.models import (
    AlertView,
    ClassOverview,
    ClassReport,
    ClassStudent,
    ClassTopic,
    ExerciseCard,
    NextExercise,
    QuizBest,
    StudentProgress,
    StudentReport,
    TopicProgress,
)
from debrief_agent.offline_policy import (
    OFFLINE_DEBRIEF,
    OFFLINE_MARKER,
    TASK_TOOLS,
    DebriefOfflinePolicy,
)
from debrief_agent.reports import needs_attention, session_facts
from debrief_agent.writing import PROMPT_BUDGET, STUDENT_TASK, TEACHER_TASK
from learnflow.contracts import SessionSummaryRequest, SessionTally
from learnflow.llm.offline import Answer, ToolResult, Transcript
from learnflow.llm.writing import Writing, WritingPolicy
from learnflow.progress.mastery import level_for

STUDENT = uuid.UUID(int=1)
NUMBER = re.compile(r"\d+")


def topic(module: str, mastery: int, **scores: Any) -> TopicProgress:
    number, title = topics.title_of(module)
    level = level_for(mastery)
    return TopicProgress(
        topic=module,
        module_number=number,
        title=title,
        label=f"{topics.label_of(module)} — {mastery}%",
        mastery=mastery,
        level=level,
        level_label=level.label,
        started=mastery > 0,
        **scores,
    )


def progress(*started: TopicProgress) -> StudentProgress:
    by_topic = {t.topic: t for t in started}
    every = [by_topic.get(m, topic(m, 0)) for m in topics.module_ids()]
    overall = round(sum(t.mastery for t in every) / len(every))
    return StudentProgress(
        student_id=STUDENT, display_name="Maya", overall_mastery=overall, topics=every
    )


def card(exercise_id: str) -> ExerciseCard:
    exercise = topics.exercise(exercise_id)
    assert exercise is not None
    return ExerciseCard(
        exercise_id=exercise.id,
        title=exercise.title,
        topic=exercise.module,
        topic_title=topics.label_of(exercise.module),
        difficulty=exercise.difficulty,
        prompt=exercise.prompt,
        starter=exercise.starter,
    )


NEXT = NextExercise(
    student_id=STUDENT,
    exercise=card("control-flow.fizzbuzz"),
    reason="It is the next exercise of your weakest topic.",
)


def run(message: str, output: str) -> tuple[Answer, Writing | None, str]:
    """The offline draft and the Writing for `message`, given the tool's `output`."""
    policy = DebriefOfflinePolicy()
    task = message[1:].split("]")[0] if message.startswith("[") else "progress"
    name = TASK_TOOLS.get(task, "student_progress")
    transcript = Transcript(
        instructions="",
        user_message=message,
        history=(),
        tool_results=(ToolResult(name, {}, output),),
        tool_names=frozenset({name}),
    )
    draft = policy.next_step(transcript)
    assert isinstance(draft, Answer)
    return draft, policy.writing(transcript, draft), output


def progress_output(student: StudentProgress, next_exercise: NextExercise | None) -> str:
    dumped = next_exercise.model_dump(mode="json") if next_exercise else None
    return json.dumps({"progress": student.model_dump(mode="json"), "next_exercise": dumped})


def task_output(model: BaseModel) -> str:
    return model.model_dump_json()


def assert_grounded(writing: Writing | None, output: str) -> Writing:
    """Small, no offline marker, and no number but those the tool returned or the tail shows
    (figures the offline answer derives, such as points to the next level)."""
    assert writing is not None
    assert len(writing.instructions + writing.prompt) <= PROMPT_BUDGET
    for marker in (OFFLINE_MARKER, OFFLINE_DEBRIEF):
        assert marker not in writing.prompt + writing.tail
    given = set(NUMBER.findall(output + writing.tail))
    assert set(NUMBER.findall(writing.prompt)) <= given, writing.prompt
    assert writing.prompt.startswith("Facts: {")
    return writing


def facts_of(writing: Writing) -> dict[str, Any]:
    """The facts JSON of the prompt (its first paragraph)."""
    found: dict[str, Any] = json.loads(writing.prompt.split("\n\n", 1)[0].removeprefix("Facts: "))
    return found


def test_the_debrief_policy_is_a_writing_policy() -> None:
    assert isinstance(DebriefOfflinePolicy(), WritingPolicy)


def test_how_am_i_doing_keeps_every_figure_in_the_tail() -> None:
    maya = progress(topic("basics", 82), topic("control-flow", 23, exercise_score=20.0))
    draft, writing, output = run("How am I doing?", progress_output(maya, NEXT))
    writing = assert_grounded(writing, output)
    lines = progress_lines(maya, NEXT, "How am I doing?")
    assert draft.text == f"{OFFLINE_MARKER}\n\n" + "\n".join(lines).strip()
    assert writing.tail == "\n".join(lines).strip()
    assert "- Module 1: Basics — 82% (Proficient)" in writing.tail
    assert "- Module 2: Control Flow — 23% (Beginner)" in writing.tail
    assert f"Overall: {maya.overall_mastery}%" in writing.tail
    assert NEXT.exercise is not None
    assert f"Next: “{NEXT.exercise.title}”" in writing.tail
    facts = facts_of(writing)
    assert facts["student"] == "Maya"
    assert facts["focus_topic"] == "Control Flow: 23% (Beginner)"
    assert facts["next_exercise"].startswith(f"“{NEXT.exercise.title}”")
    assert "Student asked: How am I doing?" in writing.prompt
    assert writing.prompt.endswith(STUDENT_TASK.format(name="Maya"))


def test_a_question_on_one_topic_gives_the_model_that_topic_only() -> None:
    maya = progress(topic("basics", 82), topic("control-flow", 55, exercise_score=60.0))
    question = "how am i doing with loops?"
    _, writing, output = run(question, progress_output(maya, None))
    writing = assert_grounded(writing, output)
    assert writing.tail == "\n".join(progress_lines(maya, None, question)).strip()
    assert "**Module 2: Control Flow — 55%**" in writing.tail
    assert '"topics"' not in writing.prompt and "Basics" not in writing.prompt
    assert '"focus_topic": "Control Flow: 55% (Learning)"' in writing.prompt


def test_no_graded_work_yet_is_said_in_the_tail() -> None:
    _, writing, output = run("How am I doing?", progress_output(progress(), NEXT))
    writing = assert_grounded(writing, output)
    assert "no graded work stored yet" in writing.tail
    assert '"graded_work": "none stored yet"' in writing.prompt


def test_nothing_stored_keeps_the_draft() -> None:
    error = json.dumps({"error": "no stored progress is available for this request"})
    for message in ("How am I doing?", "[session-summary] Write…", "[class-report] Write…"):
        draft, writing, _ = run(message, error)
        assert "nothing stored" in draft.text and writing is None


def _session(**tally: Any) -> Any:
    request = SessionSummaryRequest(session_id="s-1", tally=SessionTally(**tally))
    maya = progress(topic("control-flow", 35))
    return session_facts(
        request,
        student=None,
        progress=maya,
        next_exercise=card("control-flow.count-digits"),
    ).model_copy(update={"student_name": "Maya"})


def test_a_session_debrief_is_prose_before_the_sessions_figures() -> None:
    facts = _session(
        runs=6,
        failed_runs=4,
        errors_by_type={"TypeError": 3, "NameError": 1},
        exercises_attempted=["control-flow.fizzbuzz", "control-flow.count-digits"],
        exercises_passed=["control-flow.count-digits"],
        hints_used=2,
        time_on_task_s=1500,
    )
    draft, writing, output = run("[session-summary] Write the debrief.", task_output(facts))
    writing = assert_grounded(writing, output)
    assert draft.text == f"{OFFLINE_DEBRIEF}\n\n{session_summary_text(facts)}"
    assert writing.tail == session_summary_text(facts)
    assert "You passed 1 of 2 exercises and ran code 6 times." in writing.tail
    assert "The error you met most was TypeError (3×)." in writing.tail
    shown = facts_of(writing)
    assert shown["student"] == "Maya" and shown["minutes"] == 25
    assert shown["next_step"] == facts.next_steps[0]
    assert shown["practised"] == facts.practised[:4]
    assert shown["mastery_now"] == "35% (Beginner)"


def test_a_huge_session_is_capped_under_the_budget() -> None:
    exercises = [e.id for e in topics.catalog().exercises]
    facts = _session(
        runs=900,
        failed_runs=800,
        errors_by_type={f"Error{i}": i + 1 for i in range(60)},
        exercises_attempted=exercises,
        exercises_passed=exercises[::2],
        quiz_answers=40,
        quiz_correct=3,
    )
    _, writing, output = run("[session-summary] Write the debrief.", task_output(facts))
    writing = assert_grounded(writing, output)
    assert writing.tail == session_summary_text(facts)


def _alert(trigger: str, detail: str) -> AlertView:
    return AlertView(
        id=uuid.uuid4(),
        student_id=STUDENT,
        student_name="Maya",
        topic="control-flow",
        topic_title="Control Flow",
        trigger=trigger,
        detail=detail,
        status="open",
        created_at=datetime.now(UTC),
    )


def test_a_student_report_keeps_its_figures_in_the_tail() -> None:
    report = StudentReport(
        student=progress(topic("basics", 82), topic("control-flow", 23)),
        summary="",
        runs=14,
        failed_runs=9,
        error_types={"TypeError": 5, "IndexError": 2},
        exercises_passed=["basics.greeting"],
        exercises_unsolved=[e.id for e in topics.catalog().exercises][:12],
        quizzes=[QuizBest(topic=m, score=3, total=5, attempts=2) for m in topics.module_ids()],
        open_alerts=[_alert("repeated_error", "TypeError 5 times " * 20)] * 6,
        recent_debriefs=["Maya worked on loops."],
        next_exercise=NEXT,
    )
    draft, writing, output = run("[student-report] Write the report.", task_output(report))
    writing = assert_grounded(writing, output)
    assert writing.tail == "\n".join(student_report_lines(report)).strip()
    assert draft.text.endswith(writing.tail)
    assert "14 runs, 9 failed; most common error: TypeError (5×)." in writing.tail
    shown = facts_of(writing)
    assert shown["weakest_topic"] == "Control Flow" and shown["strongest_topic"] == "Basics"
    assert shown["open_alerts"][0] == "the same error again and again"
    assert len(shown["not_passed_yet"]) <= 4


def test_a_class_report_names_nobody_to_the_model() -> None:
    students = [
        ClassStudent(
            id=uuid.UUID(int=10 + i),
            display_name=name,
            email=f"{name.lower()}@school.test",
            average_mastery=mastery,
            mastery={"control-flow": mastery},
            open_alerts=alerts,
        )
        for i, (name, mastery, alerts) in enumerate([("Maya", 23, 1), ("James", 64, 0)])
    ]
    overview = ClassOverview(
        id=uuid.UUID(int=2),
        name="Python 101",
        teacher_id=uuid.UUID(int=3),
        teacher_name="Mr Rodriguez",
        students=students,
        topics=[
            ClassTopic(
                topic="control-flow", title="Control Flow", average_mastery=44, students_started=2
            )
        ],
        open_alerts=1,
    )
    report = ClassReport(
        overview=overview,
        summary="",
        needs_attention=needs_attention(overview, {students[0].id: ["stuck_on_exercise"]}),
        strongest_topic="control-flow",
        weakest_topic=None,
    )
    draft, writing, output = run("[class-report] Write the report.", task_output(report))
    writing = assert_grounded(writing, output)
    assert writing.tail == "\n".join(class_report_lines(report)).strip()
    assert draft.text.endswith(writing.tail)
    assert "- Maya: open alert: stuck on one exercise" in writing.tail
    assert "Python 101: 2 students, average mastery 44%" in writing.tail
    assert "Maya" not in writing.prompt and "James" not in writing.prompt
    shown = facts_of(writing)
    assert shown["students_needing_attention"] == 1
    assert writing.prompt.endswith(TEACHER_TASK.format(name="the class Python 101"))
