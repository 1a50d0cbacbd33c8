"""The debrief agent's offline policy: what the built-in offline model does instead of an LLM.

Every task is two deterministic steps: call the one tool that holds the task's facts, then write
the answer from them. The task is read from the message: `[session-summary]`,
`[student-report]` and `[class-report]` open the app's own task prompts (`agent.TASK_PROMPTS`);
anything else is a learner's progress question. Answers (`debrief_agent.answers`) say they come
from the offline tutor and only restate stored numbers — nothing is guessed. With a small real
model behind the agent (retrieve-then-write), `writing` hands it the same facts to write a few
sentences of prose, the answer's figures following verbatim (`debrief_agent.writing`).
"""

from __future__ import annotations

import re
from typing import Any

from debrief_agent.answers import (
    OFFLINE_DEBRIEF,
    OFFLINE_MARKER,
    render_class_report,
    render_progress_answer,
    render_session_summary,
    render_student_report,
)
from debrief_agent.models import ClassReport, NextExercise, StudentProgress, StudentReport
from debrief_agent.reports import SessionFacts
from debrief_agent.writing import (
    class_report_writing,
    progress_writing,
    session_writing,
    student_report_writing,
)
from learnflow.llm.offline import Answer, CallTool, Transcript
from learnflow.llm.writing import Writing

__all__ = [
    "OFFLINE_DEBRIEF",
    "OFFLINE_MARKER",
    "PROGRESS_TOOL",
    "TASK_TOOLS",
    "DebriefOfflinePolicy",
    "task_of",
]

TASK_TOOLS: dict[str, str] = {
    "session-summary": "session_facts",
    "student-report": "student_report_facts",
    "class-report": "class_report_facts",
}
PROGRESS_TOOL = "student_progress"
_TASK = re.compile(r"^\s*\[(session-summary|student-report|class-report)\]")


def task_of(message: str) -> str:
    found = _TASK.match(message)
    return found.group(1) if found else "progress"


def _facts(transcript: Transcript) -> tuple[str, dict[str, Any] | None]:
    """The task of the message, and its tool's JSON object (None: not called yet, or error)."""
    task = task_of(transcript.user_message)
    result = transcript.result(TASK_TOOLS.get(task, PROGRESS_TOOL))
    data = result.json() if result is not None else None
    return task, data if isinstance(data, dict) and "error" not in data else None


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

    def writing(self, transcript: Transcript, draft: Answer) -> Writing | None:
        """What a real model writes instead of `draft`: a few sentences of prose from the
        task's facts, the draft's figures as the tail (`debrief_agent.writing`). None — the
        draft stays — when the tool found nothing stored."""
        task, data = _facts(transcript)
        if data is None:
            return None
        if task == "session-summary":
            return session_writing(SessionFacts.model_validate(data))
        if task == "student-report":
            return student_report_writing(StudentReport.model_validate(data))
        if task == "class-report":
            return class_report_writing(ClassReport.model_validate(data))
        raw_next = data.get("next_exercise")
        return progress_writing(
            StudentProgress.model_validate(data["progress"]),
            NextExercise.model_validate(raw_next) if raw_next else None,
            transcript.user_message,
        )
