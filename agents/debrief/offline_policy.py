"""The debrief agent's offline policy: what the built-in offline model does instead of an LLM.

Every task is two deterministic steps: call the one tool that holds the task's facts, then write
the answer from them. The task is read from the message: `[session-summary]`,
`[student-report]` and `[class-report]` open the app's own task prompts (`agent.TASK_PROMPTS`);
anything else is a learner's progress question. Answers say they come from the offline tutor
and only restate stored numbers — nothing is guessed.
"""

from __future__ import annotations

import re
from typing import Any

from debrief_agent import topics
from debrief_agent.models import (
    ClassReport,
    NextExercise,
    StudentProgress,
    StudentReport,
    TopicProgress,
)
from debrief_agent.reports import SessionFacts, trigger_words
from learnflow.llm.offline import Answer, CallTool, Transcript
from learnflow.progress.mastery import LEVEL_CEILINGS, WEIGHTS, Level

OFFLINE_MARKER = "_Offline tutor (no AI model connected): this is read from your stored progress._"
OFFLINE_DEBRIEF = "_Offline debrief (no AI model connected), written from the stored record._"

TASK_TOOLS: dict[str, str] = {
    "session-summary": "session_facts",
    "student-report": "student_report_facts",
    "class-report": "class_report_facts",
}
PROGRESS_TOOL = "student_progress"
_TASK = re.compile(r"^\s*\[(session-summary|student-report|class-report)\]")
_WORD = re.compile(r"[a-z]+")
# words of module titles and topics too common to name a topic on their own
_GENERIC = frozenset({"with", "data", "types", "using", "writing", "reading", "values", "return"})

COMPONENT_ADVICE: dict[str, str] = {
    "exercises": "solve more exercises on it (your best five different ones count)",
    "quizzes": "take its quiz (your best attempt counts)",
    "code_quality": "ask the tutor to review your code and apply what it suggests",
    "consistency": "practise it a little every day: your streak counts too",
}


def task_of(message: str) -> str:
    found = _TASK.match(message)
    return found.group(1) if found else "progress"


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


def render_progress_answer(
    progress: StudentProgress, next_exercise: NextExercise | None, question: str
) -> str:
    lines = [OFFLINE_MARKER, ""]
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
        weakest = min(started, key=lambda t: (t.mastery, t.module_number or 99))
        strongest = max(started, key=lambda t: (t.mastery, -(t.module_number or 99)))
        if strongest is not weakest:
            lines.append(f"Strongest: {strongest.title} ({strongest.mastery}%).")
        lines.append(_topic_detail(weakest))
    follow = _next_line(next_exercise)
    if follow:
        lines += ["", follow]
    return "\n".join(lines).strip()


def render_session_summary(facts: SessionFacts) -> str:
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
    return f"{OFFLINE_DEBRIEF}\n\n" + " ".join(s for s in sentences if s)


def render_student_report(report: StudentReport) -> str:
    student = report.student
    lines = [OFFLINE_DEBRIEF, ""]
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
    return "\n".join(lines).strip()


def render_class_report(report: ClassReport) -> str:
    overview = report.overview
    count = len(overview.students)
    lines = [OFFLINE_DEBRIEF, ""]
    averages = [s.average_mastery for s in overview.students]
    mean = round(sum(averages) / len(averages)) if averages else 0
    lines.append(
        f"{overview.name}: {count} student{'s' if count != 1 else ''}, average mastery {mean}% "
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
    return "\n".join(lines).strip()


class DebriefOfflinePolicy:
    """Call the task's tool once, then answer from its JSON."""

    def next_step(self, transcript: Transcript) -> CallTool | Answer:
        task = task_of(transcript.user_message)
        tool = TASK_TOOLS.get(task, PROGRESS_TOOL)
        result = transcript.result(tool)
        if result is None:
            return CallTool(tool)
        data: Any = result.json()
        if not isinstance(data, dict) or "error" in data:
            reason = data.get("error") if isinstance(data, dict) else "no data"
            return Answer(f"{OFFLINE_MARKER}\n\nI have nothing stored to answer from ({reason}).")
        if task == "session-summary":
            return Answer(render_session_summary(SessionFacts.model_validate(data)))
        if task == "student-report":
            return Answer(render_student_report(StudentReport.model_validate(data)))
        if task == "class-report":
            return Answer(render_class_report(ClassReport.model_validate(data)))
        progress = StudentProgress.model_validate(data["progress"])
        raw_next = data.get("next_exercise")
        next_exercise = NextExercise.model_validate(raw_next) if raw_next else None
        return Answer(render_progress_answer(progress, next_exercise, transcript.user_message))
