"""What a small local model writes for the debrief agent (retrieve-then-write,
`learnflow.llm.writing`).

The offline policy has already read the task's facts (one tool call); a tiny model (SmolLM2-135M)
writes a few sentences of prose from a compact JSON of those facts, and everything exact — the
topic list, percentages, counts, the next exercise, who needs attention — is the `tail`, the
same lines the offline answer shows, appended verbatim. So a model can phrase encouragement but
cannot change a number or drop a name. The facts given to the model hold no student names but
the one the answer is about (a class report lists no one), so prose cannot attribute an alert
to the wrong student.

Every list is capped and every text trimmed, so instructions and prompt stay under
`PROMPT_BUDGET` characters: a small model's context is short and its first token comes later the
longer the prompt is.
"""

from __future__ import annotations

import json
from typing import Any

from debrief_agent import topics
from debrief_agent.answers import (
    COMPONENT_ADVICE,
    class_mean,
    class_report_lines,
    next_level,
    progress_lines,
    session_summary_text,
    student_report_lines,
    topic_asked_about,
    weakest_component,
    weakest_topic,
)
from debrief_agent.models import ClassReport, NextExercise, StudentProgress, StudentReport
from debrief_agent.reports import SessionFacts, trigger_words
from learnflow.llm.writing import PROMPT_BUDGET, Writing

__all__ = [
    "PROMPT_BUDGET",
    "class_report_writing",
    "progress_writing",
    "session_writing",
    "student_report_writing",
]

#: Longest text of one fact, and of the learner's question.
FACT_CHARS = 160
QUESTION_CHARS = 200
#: Most items of one list of facts.
LIST_ITEMS = 4
MAX_TOKENS = 100

#: The system prompts: who it is and the rules (a 135M model keeps one or two).
STUDENT_INSTRUCTIONS = (
    "You are a friendly Python coach talking to a student. Use only the facts given, and no "
    "number that is not in them."
)
TEACHER_INSTRUCTIONS = (
    "You are writing for a Python teacher. Use only the facts given, and no number that is "
    "not in them."
)
#: The last line of each prompt (a tiny model follows the last thing it read); the facts are
#: shown after the model's text, so it is not asked to list them.
STUDENT_TASK = (
    "Write three short sentences to encourage {name}, then one sentence with one concrete next "
    "step."
)
TEACHER_TASK = (
    "Write two or three short, plain sentences on how {name} is doing, then one sentence with "
    "one concrete suggestion for the teacher."
)


def _trimmed(text: str, limit: int = FACT_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _fitted(instructions: str, facts: dict[str, Any], task: str, question: str = "") -> str:
    """The prompt: the facts as compact JSON (texts trimmed, lists capped), the question, and
    the task last. While it is over the budget, the longest list loses its last item."""
    facts = {
        key: [_trimmed(str(v)) for v in value[:LIST_ITEMS]]
        if isinstance(value, list)
        else _trimmed(value)
        if isinstance(value, str)
        else value
        for key, value in facts.items()
        if value not in (None, [], "")
    }
    asked = f"Student asked: {_trimmed(question, QUESTION_CHARS)}" if question.strip() else ""

    def render() -> str:
        shown = f"Facts: {json.dumps(facts, ensure_ascii=False)}"
        return "\n\n".join(part for part in (shown, asked, task) if part)

    prompt = render()
    while len(instructions) + len(prompt) > PROMPT_BUDGET:
        lists = [k for k, v in facts.items() if isinstance(v, list) and v]
        if not lists:
            break
        longest = max(lists, key=lambda k: len(json.dumps(facts[k], ensure_ascii=False)))
        facts[longest] = facts[longest][:-1]
        prompt = render()
    return prompt


def _student(facts: dict[str, Any], tail: str, question: str = "") -> Writing:
    name = _trimmed(str(facts.get("student") or "the student"), 40)
    task = STUDENT_TASK.format(name=name)
    return Writing(
        instructions=STUDENT_INSTRUCTIONS,
        prompt=_fitted(STUDENT_INSTRUCTIONS, facts, task, question),
        tail=tail,
        max_tokens=MAX_TOKENS,
    )


def _teacher(facts: dict[str, Any], name: str, tail: str) -> Writing:
    task = TEACHER_TASK.format(name=_trimmed(name, 40))
    return Writing(
        instructions=TEACHER_INSTRUCTIONS,
        prompt=_fitted(TEACHER_INSTRUCTIONS, facts, task),
        tail=tail,
        max_tokens=MAX_TOKENS,
    )


def _tail(lines: list[str]) -> str:
    return "\n".join(lines).strip()


def _card(next_exercise: NextExercise | None) -> str | None:
    card = next_exercise.exercise if next_exercise else None
    if card is None:
        return None
    return f"“{card.title}” ({card.difficulty}, {card.topic_title})"


def progress_writing(
    progress: StudentProgress, next_exercise: NextExercise | None, question: str
) -> Writing:
    """A student's "how am I doing?": the topic list, percentages, the way up and the next
    exercise are the tail (`progress_lines`); the model writes the encouragement."""
    started = progress.started
    asked = topic_asked_about(question, progress)
    facts: dict[str, Any] = {"student": progress.display_name}
    if not started:
        facts["graded_work"] = "none stored yet"
    else:
        focus = asked if asked is not None else weakest_topic(started)
        if asked is None:
            facts["topics"] = [
                f"{t.title}: {t.mastery}% ({t.level_label})"
                for t in sorted(started, key=lambda t: t.module_number or 99)
            ]
            facts["overall_mastery"] = f"{progress.overall_mastery}%"
        facts["focus_topic"] = f"{focus.title}: {focus.mastery}% ({focus.level_label})"
        step = next_level(focus)
        if step is not None:
            points, level = step
            facts["to_next_level"] = f"{points} more points reach {level.label}"
            facts["quickest_way_up"] = COMPONENT_ADVICE[weakest_component(focus)]
    facts["next_exercise"] = _card(next_exercise)
    return _student(facts, _tail(progress_lines(progress, next_exercise, question)), question)


def session_writing(facts: SessionFacts) -> Writing:
    """The debrief of a session for the student: its figures and first next step are the tail
    (`session_summary_text`); the lists stored beside it never pass through the model."""
    tally = facts.tally
    shown: dict[str, Any] = {
        "student": facts.student_name,
        "topic": facts.topic_title,
        "minutes": facts.minutes or None,
        "practised": facts.practised,
        "mistakes": facts.mistakes,
        "next_step": facts.next_steps[0] if facts.next_steps else None,
        "hints_used": tally.hints_used or None,
    }
    if facts.progress is not None and facts.progress.started:
        shown["mastery_now"] = f"{facts.progress.mastery}% ({facts.progress.level_label})"
    return _student(shown, session_summary_text(facts))


def student_report_writing(report: StudentReport) -> Writing:
    """A teacher's report on one student: every figure is the tail (`student_report_lines`)."""
    student = report.student
    started = sorted(student.started, key=lambda t: t.mastery)
    common = next(iter(report.error_types.items()), None)
    facts: dict[str, Any] = {
        "student": student.display_name,
        "overall_mastery": f"{student.overall_mastery}%" if started else "no graded work yet",
        "weakest_topic": started[0].title if started else None,
        "strongest_topic": started[-1].title if len(started) > 1 else None,
        "runs": report.runs or None,
        "failed_runs": report.failed_runs if report.runs else None,
        "most_common_error": f"{common[0]} ({common[1]}×)" if common else None,
        "exercises_passed": len(report.exercises_passed),
        "not_passed_yet": [topics.exercise_title(e) for e in report.exercises_unsolved],
        "open_alerts": [trigger_words(a.trigger) for a in report.open_alerts],
        "suggested_next": _card(report.next_exercise),
    }
    return _teacher(facts, student.display_name, _tail(student_report_lines(report)))


def class_report_writing(report: ClassReport) -> Writing:
    """A teacher's report on a class: the figures and who needs attention (by name, with the
    reasons) are the tail (`class_report_lines`); the model sees counts, never names."""
    overview = report.overview
    facts: dict[str, Any] = {
        "class": overview.name,
        "students": len(overview.students),
        "average_mastery": f"{class_mean(report)}%",
        "open_alerts": overview.open_alerts,
        "strongest_topic": topics.label_of(report.strongest_topic)
        if report.strongest_topic
        else None,
        "weakest_topic": topics.label_of(report.weakest_topic) if report.weakest_topic else None,
        "students_needing_attention": len(report.needs_attention),
    }
    return _teacher(facts, f"the class {overview.name}", _tail(class_report_lines(report)))
