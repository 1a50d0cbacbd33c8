"""The debrief agent: progress answers for students, session debriefs, reports for teachers.

One OpenAI Agents SDK `Agent` whose tools hand it facts read from the database by the route
(`DebriefContext`): `student_progress`, `session_facts`, `student_report_facts`,
`class_report_facts`, each returning JSON. The model is `build_model`'s: the configured
OpenAI-compatible endpoint, or the offline model driven by `DebriefOfflinePolicy`. Structured
parts of debriefs and reports (lists, numbers) are computed before the agent runs; the agent
writes the prose around them, so a model can phrase things but cannot change the numbers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from agents import (
    Agent,
    Model,
    RunContextWrapper,
    function_tool,
)
from pydantic import BaseModel

from debrief_agent.models import ClassReport, NextExercise, StudentProgress, StudentReport
from debrief_agent.offline_policy import DebriefOfflinePolicy
from debrief_agent.reports import SessionFacts
from learnflow.errors import DependencyFailed
from learnflow.llm.authorship import written_by
from learnflow.llm.provider import chosen_model
from learnflow.llm.running import run_agent
from learnflow.settings import Settings

AGENT_NAME = "debrief"
MAX_TURNS = 6

INSTRUCTIONS = """\
You are LearnFlow's debrief agent. You tell Python learners how they are doing, summarise their
learning sessions, and write short reports for their teachers — always from the stored facts
your tools return, never from guesses. Mastery per topic is 0-100: exercises 40%, quizzes 30%,
code quality 20%, daily streak 10%. Levels: 0-40 Beginner, 41-70 Learning, 71-90 Proficient,
91-100 Mastered. Topics are the curriculum's modules, shown as "Module 2: Control Flow — 60%".

The first line of the message says what to do:
- a learner's own words (e.g. "how am I doing?"): call `student_progress`, then answer in under
  150 words: their topics with mastery and level (answer about one topic if they named one),
  what would raise their weakest topic most, and the recommended next exercise;
- `[session-summary]`: call `session_facts`, then write 2-4 encouraging sentences for the
  student: what they practised, the main mistake, and the first next step;
- `[student-report]`: call `student_report_facts`, then write a factual paragraph for the
  teacher: level per topic, recurring errors, open alerts, what to do next;
- `[class-report]`: call `class_report_facts`, then write a short paragraph for the teacher:
  class averages, strongest and weakest topic, who needs attention and why.

Use only numbers that appear in the tool output. If a tool returns `error`, say plainly that
there is nothing stored yet. Never include solutions to exercises.
"""

TASK_PROMPTS: dict[str, str] = {
    "session-summary": "[session-summary] Write the debrief of this session for the student.",
    "student-report": "[student-report] Write the report on this student for their teacher.",
    "class-report": "[class-report] Write the report on this class for its teacher.",
}


@dataclass
class DebriefContext:
    """The facts of one request; tools read them, the model never sees the database."""

    progress: StudentProgress | None = None
    next_exercise: NextExercise | None = None
    session: SessionFacts | None = None
    student_report: StudentReport | None = None
    class_report: ClassReport | None = None


def _as_json(model: BaseModel | None, what: str) -> str:
    if model is None:
        return json.dumps({"error": f"no {what} is available for this request"})
    return model.model_dump_json()


@function_tool
def student_progress(ctx: RunContextWrapper[DebriefContext]) -> str:
    """The student's stored progress and the next exercise recommended for them.

    Returns JSON: `progress` (`display_name`, `overall_mastery`, `topics`: each with `label`,
    `mastery`, `level_label`, `exercise_score`, `quiz_score`, `code_quality_score`,
    `streak_days`, `started`) and `next_exercise` (`exercise` with `title`, `difficulty`,
    `topic_title`, and a `reason`), or `error`.
    """
    facts = ctx.context
    if facts.progress is None:
        return _as_json(None, "stored progress")
    next_exercise = facts.next_exercise.model_dump(mode="json") if facts.next_exercise else None
    return json.dumps(
        {"progress": facts.progress.model_dump(mode="json"), "next_exercise": next_exercise}
    )


@function_tool
def session_facts(ctx: RunContextWrapper[DebriefContext]) -> str:
    """The facts of the session to summarise: its tally, what was practised, the mistakes and
    next steps (already listed for the student), and the topic's mastery. Returns JSON."""
    return _as_json(ctx.context.session, "session record")


@function_tool
def student_report_facts(ctx: RunContextWrapper[DebriefContext]) -> str:
    """One student's stored record for their teacher: progress per topic, runs and error types,
    exercises passed and unsolved, best quizzes, open alerts, recent debriefs. Returns JSON."""
    return _as_json(ctx.context.student_report, "student record")


@function_tool
def class_report_facts(ctx: RunContextWrapper[DebriefContext]) -> str:
    """A class's stored record: per-student and per-topic averages, open alerts, the students
    who need attention and why, strongest and weakest topic. Returns JSON."""
    return _as_json(ctx.context.class_report, "class record")


TOOLS = [student_progress, session_facts, student_report_facts, class_report_facts]


def build_debrief_agent(
    settings: Settings | None = None, *, model: Model | None = None
) -> Agent[DebriefContext]:
    """The agent on `model`, else `build_model` from `settings` (an endpoint if they configure
    one, else offline)."""
    return Agent[DebriefContext](
        name=AGENT_NAME,
        instructions=INSTRUCTIONS,
        tools=list(TOOLS),
        model=chosen_model(DebriefOfflinePolicy(), model=model, settings=settings),
    )


@dataclass(frozen=True)
class Written:
    """The agent's answer, and who wrote it (`SpecialistReply.model`: "offline" or the model's
    name, `learnflow.llm.authorship.written_by`)."""

    text: str
    model: str


async def run(
    agent: Agent[DebriefContext],
    message: str,
    context: DebriefContext,
    *,
    settings: Settings | None = None,
) -> Written:
    """Run the agent once; model failures become `DependencyFailed` (502). `settings`: those
    the agent's model was built from, which name its author (`None`: no configured model)."""
    result = await run_agent(agent, message, who="debrief", max_turns=MAX_TURNS, context=context)
    answer = str(result.final_output or "").strip()
    if not answer:
        raise DependencyFailed("the debrief model gave an empty answer", dependency="llm")
    return Written(answer, written_by(result, settings))


async def run_task(
    agent: Agent[DebriefContext],
    task: str,
    context: DebriefContext,
    *,
    settings: Settings | None = None,
) -> Written:
    return await run(agent, TASK_PROMPTS[task], context, settings=settings)
