"""What the offline debrief says: answers rendered from the facts a tool returned.

The progress answer, the session debrief and the two teacher reports, each split into its
figures (`progress_lines`, `session_summary_text`, `student_report_lines`, `class_report_lines`)
and the marker saying it comes from the offline debrief (`render_*`). The figures are also the
tail of what a real model writes (`debrief_agent.writing`), so they are the same whoever writes
the prose. Answers only restate stored numbers — nothing is guessed.
"""

from __future__ import annotations

import re

from debrief_agent import topics
from debrief_agent.models import (
    ClassReport,
    NextExercise,
    StudentProgress,
    StudentReport,
    TopicProgress,
)
from debrief_agent.reports import SessionFacts, trigger_words
from learnflow.progress.mastery import LEVEL_CEILINGS, WEIGHTS, Level

OFFLINE_MARKER = (
    "_Offline tutor: this is read from your stored progress, not written by an AI model._"
)
OFFLINE_DEBRIEF = "_Offline debrief, written from the stored record (not by an AI model)._"

_WORD = re.compile(r"[a-z]+")
# words of module titles and topics too common to name a topic on their own
_GENERIC = frozenset({"with", "data", "types", "using", "writing", "reading", "values", "return"})

COMPONENT_ADVICE: dict[str, str] = {
    "exercises": "solve more exercises on it (your best five different ones count)",
    "quizzes": "take its quiz (your best attempt counts)",
    "code_quality": "ask the tutor to review your code and apply what it suggests",
    "consistency": "practise it a little every day: your streak counts too",
}


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if len(w) >= 4 and w not in _GENERIC}


def topic_asked_about(question: str, progress: StudentProgress) -> TopicProgress | None:
    """The curriculum module a question names ("how am I doing with loops?"), if exactly one."""
    asked = _words(question)
    hits: list[TopicProgress] = []
    for topic in progress.topics:
        if topic.module_number is None:
            continue
        module = topics.catalog().module(topic.topic)
        vocabulary = _words(" ".join((module.id.replace("-", " "), module.title, *module.topics)))
        vocabulary |= {w.rstrip("s") for w in vocabulary}
        if asked & vocabulary or {w.rstrip("s") for w in asked} & vocabulary:
            hits.append(topic)
    return hits[0] if len(hits) == 1 else None


def next_level(topic: TopicProgress) -> tuple[int, Level] | None:
    """Points still needed to reach the next level, and that level (None when mastered)."""
    for ceiling, level in LEVEL_CEILINGS:
        if topic.mastery <= ceiling:
            index = [lv for _, lv in LEVEL_CEILINGS].index(level)
            if index + 1 == len(LEVEL_CEILINGS):
                return None
            return ceiling + 1 - topic.mastery, LEVEL_CEILINGS[index + 1][1]
    return None


def weakest_component(topic: TopicProgress) -> str:
    """The component whose gap to 100 costs the most mastery (weights from design.md)."""
    scores = {
        "exercises": topic.exercise_score,
        "quizzes": topic.quiz_score,
        "code_quality": topic.code_quality_score,
        "consistency": 100 * min(topic.streak_days, 7) / 7,
    }
    return max(WEIGHTS, key=lambda name: (WEIGHTS[name] * (100 - scores[name]), WEIGHTS[name]))


def _topic_detail(topic: TopicProgress) -> str:
    parts = (
        f"exercises {topic.exercise_score:.0f}/100, quizzes {topic.quiz_score:.0f}/100, "
        f"code quality {topic.code_quality_score:.0f}/100, streak {topic.streak_days} "
        f"day{'s' if topic.streak_days != 1 else ''}"
    )
    lines = [f"**{topic.label}** ({topic.level_label}): {parts}."]
    step = next_level(topic)
    if step is not None:
        points, level = step
        lines.append(
            f"{points} more point{'s' if points != 1 else ''} reach {level.label}. The quickest "
            f"way up: {COMPONENT_ADVICE[weakest_component(topic)]}."
        )
    else:
        lines.append("You have mastered it. Well done!")
    return " ".join(lines)


def _next_line(next_exercise: NextExercise | None) -> str | None:
    if next_exercise is None:
        return None
    card = next_exercise.exercise
    if card is None:
        return next_exercise.reason
    return (
        f"Next: “{card.title}” ({card.difficulty}, {card.topic_title}). "
        f"{next_exercise.reason} Ask me for it, or open it from your dashboard."
    )


def weakest_topic(started: list[TopicProgress]) -> TopicProgress:
    """The started topic with the least mastery (the lower module number on a tie)."""
    return min(started, key=lambda t: (t.mastery, t.module_number or 99))


def progress_lines(
    progress: StudentProgress, next_exercise: NextExercise | None, question: str
) -> list[str]:
    """The progress answer's lines, without the offline marker: all its figures."""
    lines: list[str] = []
    started = progress.started
    asked = topic_asked_about(question, progress)
    if not started:
        lines.append(
            f"{progress.display_name}, you have no graded work stored yet, so there is no "
            "mastery to report. Mastery per topic grows from exercises (40%), quizzes (30%), "
            "code quality (20%) and a daily streak (10%)."
        )
    elif asked is not None:
        lines.append(_topic_detail(asked))
    else:
        lines.append(f"Here is where you stand, {progress.display_name}:")
        ordered = sorted(started, key=lambda t: t.module_number or 99)
        lines += [f"- {t.label} ({t.level_label})" for t in ordered]
        lines.append("")
        modules = sum(1 for t in progress.topics if t.module_number is not None)
        lines.append(f"Overall: {progress.overall_mastery}% across the {modules} modules.")
        weakest = weakest_topic(started)
        strongest = max(started, key=lambda t: (t.mastery, -(t.module_number or 99)))
        if strongest is not weakest:
            lines.append(f"Strongest: {strongest.title} ({strongest.mastery}%).")
        lines.append(_topic_detail(weakest))
    follow = _next_line(next_exercise)
    if follow:
        lines += ["", follow]
    return lines


def render_progress_answer(
    progress: StudentProgress, next_exercise: NextExercise | None, question: str
) -> str:
    return "\n".join(
        [OFFLINE_MARKER, "", *progress_lines(progress, next_exercise, question)]
    ).strip()


def session_summary_text(facts: SessionFacts) -> str:
    """The session debrief's sentences, without the offline marker: all its figures."""
    tally = facts.tally
    who = f"{facts.student_name}, you" if facts.student_name else "You"
    where = f" on {facts.topic_title}" if facts.topic_title else ""
    time = f" for about {facts.minutes} min" if facts.minutes else ""
    passed, attempted = len(tally.exercises_passed), len(set(tally.exercises_attempted))
    sentences = [f"{who} worked{where}{time}."]
    if attempted or passed:
        sentences.append(
            f"You passed {passed} of {max(attempted, passed)} exercise"
            f"{'s' if max(attempted, passed) != 1 else ''} and ran code {tally.runs} "
            f"time{'s' if tally.runs != 1 else ''}."
        )
    elif tally.runs:
        sentences.append(f"You ran code {tally.runs} time{'s' if tally.runs != 1 else ''}.")
    if tally.quiz_answers:
        sentences.append(f"Quiz: {tally.quiz_correct}/{tally.quiz_answers} right.")
    if tally.errors_by_type:
        top, count = max(tally.errors_by_type.items(), key=lambda kv: (kv[1], kv[0]))
        sentences.append(f"The error you met most was {top} ({count}×).")
    if facts.progress is not None and facts.progress.started:
        sentences.append(f"Your mastery there is now {facts.progress.mastery}%.")
    sentences.append(f"Next: {facts.next_steps[0]}." if facts.next_steps else "")
    return " ".join(s for s in sentences if s)


def render_session_summary(facts: SessionFacts) -> str:
    return f"{OFFLINE_DEBRIEF}\n\n{session_summary_text(facts)}"


def student_report_lines(report: StudentReport) -> list[str]:
    """The teacher's report on a student, without the offline marker: all its figures."""
    student = report.student
    lines: list[str] = []
    started = student.started
    if started:
        ordered = sorted(started, key=lambda t: t.mastery)
        lines.append(
            f"{student.display_name}: {student.overall_mastery}% overall; weakest "
            f"{ordered[0].label}, strongest {ordered[-1].label}."
        )
    else:
        lines.append(f"{student.display_name} has no graded work stored yet.")
    if report.runs:
        common = next(iter(report.error_types.items()), None)
        errors = f"; most common error: {common[0]} ({common[1]}×)" if common else ""
        lines.append(f"{report.runs} runs, {report.failed_runs} failed{errors}.")
    lines.append(
        f"Exercises passed: {len(report.exercises_passed)}"
        + (
            "; not passed yet: "
            + ", ".join(f"“{topics.exercise_title(e)}”" for e in report.exercises_unsolved[:5])
            if report.exercises_unsolved
            else ""
        )
        + "."
    )
    if report.quizzes:
        lines.append(
            "Best quizzes: "
            + ", ".join(f"{topics.label_of(q.topic)} {q.score}/{q.total}" for q in report.quizzes)
            + "."
        )
    if report.open_alerts:
        lines.append(
            f"{len(report.open_alerts)} open alert{'s' if len(report.open_alerts) != 1 else ''}: "
            + "; ".join(f"{trigger_words(a.trigger)} — {a.detail}" for a in report.open_alerts[:3])
        )
    card = report.next_exercise.exercise
    if card is not None:
        lines.append(f"Suggested next: “{card.title}” ({card.difficulty}, {card.topic_title}).")
    return lines


def render_student_report(report: StudentReport) -> str:
    return "\n".join([OFFLINE_DEBRIEF, "", *student_report_lines(report)]).strip()


def class_mean(report: ClassReport) -> int:
    """The mean of the students' average mastery (0 for an empty class)."""
    averages = [s.average_mastery for s in report.overview.students]
    return round(sum(averages) / len(averages)) if averages else 0


def class_report_lines(report: ClassReport) -> list[str]:
    """The teacher's report on a class, without the offline marker: all its figures."""
    overview = report.overview
    count = len(overview.students)
    lines: list[str] = []
    lines.append(
        f"{overview.name}: {count} student{'s' if count != 1 else ''}, average mastery "
        f"{class_mean(report)}% "
        f"across the modules, {overview.open_alerts} open alert"
        f"{'s' if overview.open_alerts != 1 else ''}."
    )
    if report.strongest_topic:
        lines.append(f"Strongest topic: {topics.label_of(report.strongest_topic)}.")
    if report.weakest_topic:
        lines.append(f"Weakest topic: {topics.label_of(report.weakest_topic)}.")
    if report.needs_attention:
        lines.append("Needs attention:")
        lines += [
            f"- {item.display_name}: {'; '.join(item.reasons)}" for item in report.needs_attention
        ]
    else:
        lines.append("Nobody needs special attention right now.")
    return lines


def render_class_report(report: ClassReport) -> str:
    return "\n".join([OFFLINE_DEBRIEF, "", *class_report_lines(report)]).strip()
