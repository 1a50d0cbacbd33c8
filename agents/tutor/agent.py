"""The tutor agent: an OpenAI Agents SDK `Agent` with tools over exercises, hints, grading and
code review, guarded so that no answer hands over a graded exercise's solution.

The model comes from `learnflow.llm.provider.build_model`: an OpenAI-compatible endpoint when
one is configured, otherwise the offline model driven by `tutor_agent.offline_policy`. Tools
return JSON text. None of them ever returns an exercise's tests or reference solution, so a
model can only "leak" a solution by writing one itself — which the output guardrail
(`tutor_agent.guardrail.solution_guardrail`) catches and replaces with a refusal and a hint.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from agents import (
    Agent,
    Model,
    OutputGuardrailTripwireTriggered,
    RunContextWrapper,
    function_tool,
    set_tracing_disabled,
)
from agents.result import RunResultBase

from learnflow.errors import LearnFlowError, NotFound
from learnflow.llm.authorship import OFFLINE, written_by
from learnflow.llm.provider import chosen_model
from learnflow.llm.running import StreamedRun, run_agent
from learnflow.llm.streaming import held_back
from learnflow.settings import Settings

from .context import GradedSubmission, TutorContext
from .error_help import explain_error as explain_error_text
from .exercises import named_exercise, public_view, recommend
from .guardrail import Blocked, known_texts, solution_guardrail
from .offline_policy import OFFLINE_LABEL, TutorPolicy
from .review import review_code as review
from .similarity import code_pieces, normalised_tokens

__all__ = [
    "INSTRUCTIONS",
    "MAX_TURNS",
    "SUBMISSION_NAMESPACE",
    "TOOLS",
    "TurnResult",
    "build_tutor_agent",
    "run_turn",
]

MAX_TURNS = 10
#: Shorter code (an id in backticks, `return`) is not worth remembering for the leak check.
MIN_REMEMBERED_TOKENS = 8
SUBMISSION_NAMESPACE = uuid.UUID("2f0b6f55-7d0e-4c5e-9d8e-6a3f4b1c9e21")
HOW_TO_SUBMIT = (
    "Write your code in the editor (or paste it in the chat) and send it as your submission: "
    "I run the hidden tests and tell you which pass, then review the code. Stuck? Ask for a "
    "hint — there are three, one at a time."
)

INSTRUCTIONS = """\
You are LearnFlow's Python tutor. You help one learner practise Python with exercises from the
LearnFlow curriculum, grade their work, and review their code. You teach; you do not do the work.

Rules, in order of importance:
1. Never give the full solution to an exercise, or a near-complete one: not when asked directly,
   not "for debugging", not because a teacher allowed it, not in parts across messages, not as
   pseudocode, not in another programming language, not inside a story or role-play. Code you
   write may only illustrate a general idea on a different example, or be one of the exercise's
   own hints. A guardrail checks every answer and blocks those that contain a solution.
2. Be Socratic: ask a question that makes the learner think about the next step before you
   explain it; respond to what they tried; keep answers short and encouraging.
3. Hints climb a ladder, one rung per request: nudge, then concept, then partial code. Get them
   with `get_hint` and give exactly the rung it returns. After the last rung there are no more
   hints: encourage the learner and offer to review their code.
4. To give an exercise, use `recommend_exercise` (it matches the learner's level) then
   `get_exercise`, and show the title, the prompt, the starter code and how to submit.
5. When the learner shares code for an exercise, use `grade_submission` with their code exactly
   as they wrote it (it only grades the learner's own code), then explain the first failing
   test in plain words. Use `review_code` for style (PEP 8), efficiency and readability, and
   mention the most useful one or two comments, with the quality score.
6. Use `session_status` to see the current exercise, hints already given and attempts.
7. A traceback, an error message or an error's name: call `explain_error` and explain it in
   plain words (the exception, the line, the likely cause, a hint toward the fix — not the fix).
   A traceback is never code to review.
"""


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


def _error(message: str) -> str:
    return _json({"error": message})


def _same_code(a: str, b: str) -> bool:
    return normalised_tokens(a) == normalised_tokens(b)


def _learners_code(context: TutorContext, code: str) -> bool:
    """True when `code` is (a normalised copy of) code the learner sent this turn."""
    candidates = [context.learner_code or "", *code_pieces(context.learner_message)]
    return any(candidate.strip() and _same_code(code, candidate) for candidate in candidates)


def _submission_id(context: TutorContext, exercise_id: str) -> str:
    basis = f"{context.session_id}/{context.message_id}/{exercise_id}"
    return str(uuid.uuid5(SUBMISSION_NAMESPACE, basis))


@function_tool
def session_status(ctx: RunContextWrapper[TutorContext]) -> str:
    """The learner's session: what they asked for (intent), the current exercise, hints already
    given, attempts, the code they attached to this message, an exercise id their message
    mentions, and their mastery by topic."""
    context = ctx.context
    exercise = context.current_exercise
    progress = context.state.peek(exercise.id if exercise else None)
    named = named_exercise(context.catalog, context.learner_message)
    mentioned = named.id if named is not None else None
    return _json(
        {
            "intent": context.intent,
            "mentioned_exercise": mentioned,
            "current_exercise": None
            if exercise is None
            else {
                "id": exercise.id,
                "title": exercise.title,
                "topic": exercise.module,
                "difficulty": exercise.difficulty,
            },
            "hint_rung": progress.hint_rung,
            "hint_rungs": len(exercise.hints.rungs) if exercise else 0,
            "attempts": progress.attempts,
            "passed": progress.passed,
            "learner_code": context.learner_code,
            "can_grade": context.grader is not None,
            "mastery": dict(context.mastery),
        }
    )


@function_tool
def recommend_exercise(ctx: RunContextWrapper[TutorContext], topic: str, difficulty: str) -> str:
    """Recommend exercises matched to the learner's level on a topic.

    Args:
        topic: A module id ("control-flow"), a lesson id, or words such as "list
            comprehensions"; empty for "where the learner is now".
        difficulty: "easy", "medium" or "hard" when the learner asked for one; empty to match
            their mastery level (Beginner: easy; Learning: easy/medium; Proficient: medium/hard).
    """
    context = ctx.context
    done = {eid for eid, p in context.state.exercises.items() if p.passed}
    if context.state.current_exercise:
        done.add(context.state.current_exercise)
    try:
        found = recommend(
            context.catalog,
            topic=topic or None,
            difficulty=difficulty or None,
            mastery=context.mastery,
            done=done,
        )
    except NotFound as exc:
        return _error(exc.message)
    return _json(found.to_dict())


@function_tool
def get_exercise(ctx: RunContextWrapper[TutorContext], exercise_id: str) -> str:
    """Show an exercise to the learner (its title, prompt and starter code; never its tests or
    solution) and make it their current exercise.

    Args:
        exercise_id: The exercise id, e.g. "control-flow.fizzbuzz".
    """
    context = ctx.context
    try:
        exercise = context.exercise(exercise_id)
    except NotFound as exc:
        return _error(exc.message)
    context.start(exercise)
    return _json({**public_view(exercise), "how_to_submit": HOW_TO_SUBMIT})


@function_tool
def get_hint(ctx: RunContextWrapper[TutorContext], exercise_id: str, rung: int) -> str:
    """The hint for an exercise at a rung of its ladder (1 nudge, 2 concept, 3 partial code).
    Only one new rung is given per learner message: asking for a higher rung returns the next
    one; after the last rung there are no more hints.

    Args:
        exercise_id: The exercise id.
        rung: The rung wanted (1-3).
    """
    context = ctx.context
    try:
        exercise = context.exercise(exercise_id)
    except NotFound as exc:
        return _error(exc.message)
    given, hint, note = context.hint(exercise, rung)
    return _json(
        {
            "exercise_id": exercise.id,
            "title": exercise.title,
            "rung": given,
            "of": len(exercise.hints.rungs),
            "level": hint.level if hint else None,
            "hint": hint.text.strip() if hint else None,
            "note": note,
        }
    )


@function_tool
async def grade_submission(
    ctx: RunContextWrapper[TutorContext], exercise_id: str, code: str
) -> str:
    """Run the exercise's hidden tests on the learner's code (in the sandbox) and explain each
    result in plain words. Only the learner's own code is graded.

    Args:
        exercise_id: The exercise id.
        code: The learner's code, exactly as they sent it.
    """
    context = ctx.context
    if context.grader is None:
        return _error("grading is not available here")
    try:
        exercise = context.exercise(exercise_id)
    except NotFound as exc:
        return _error(exc.message)
    if not code.strip():
        return _error("there is no code to grade: ask the learner to paste their code")
    if not _learners_code(context, code):
        return _error(
            "grade_submission only grades code the learner sent in this message; ask them to "
            "paste their own code"
        )
    context.in_play.add(exercise.id)
    submission_id = _submission_id(context, exercise.id)
    try:
        result = await context.grader.grade(
            exercise,
            code,
            submission_id=submission_id,
            session_id=context.session_id,
            user_id=context.user_id,
        )
    except LearnFlowError as exc:
        return _error(f"the tests could not be run right now ({exc.message}); try again soon")
    quality = review(code, correctness=result.summary)
    context.graded.append(
        GradedSubmission(
            exercise, submission_id, result, quality.score, learners_code=True, code_chars=len(code)
        )
    )
    exercise_id, status = exercise.id, result.status
    context.change(lambda state: state.start(exercise_id))
    context.change(lambda state: state.record_attempt(exercise_id, submission_id, status))
    return _json({**result.to_dict(), "title": exercise.title, "quality_score": quality.score})


@function_tool
def review_code(ctx: RunContextWrapper[TutorContext], code: str) -> str:
    """Review Python code for style (PEP 8), efficiency and readability: a 0-100 code-quality
    score and concrete, line-numbered comments. Nothing is run.

    Args:
        code: The code to review.
    """
    if not code.strip():
        return _error("there is no code to review")
    result = review(code)
    return _json({**result.to_dict(), "text": result.text()})


@function_tool
def explain_error(ctx: RunContextWrapper[TutorContext], error: str, code: str) -> str:
    """Explain a Python error: the exception, the line, what it means in plain words, the
    likely cause in the learner's code, a hint toward the fix (never the fix itself) and the
    lessons to read. Use it for a traceback, an error message, an error's name, or a program
    that runs forever — never review a traceback as code.

    Args:
        error: The traceback or error message (or the learner's words about it).
        code: The learner's code, if they sent it ("" otherwise).
    """
    found = explain_error_text(error, code or ctx.context.learner_code)
    if found is None:
        return _error("no Python error found in that text: ask the learner to paste it")
    ctx.context.cited_lessons.extend(found.lessons)
    return _json({**found.to_dict(), "text": found.text()})


TOOLS = [
    session_status,
    recommend_exercise,
    get_exercise,
    get_hint,
    grade_submission,
    review_code,
    explain_error,
]


def _instructions(ctx: RunContextWrapper[TutorContext], agent: Agent[TutorContext]) -> str:
    context = ctx.context
    exercise = context.current_exercise
    if exercise is None:
        where = "The learner has no current exercise."
    else:
        progress = context.state.peek(exercise.id)
        where = (
            f"Current exercise: {exercise.id} ({exercise.title}, {exercise.difficulty}); "
            f"hints given: {progress.hint_rung} of {len(exercise.hints.rungs)}; "
            f"attempts: {progress.attempts}; passed: {progress.passed}."
        )
    return f"{INSTRUCTIONS}\nSession: {where}"


def build_tutor_agent(
    model: Model | None = None, settings: Settings | None = None
) -> Agent[TutorContext]:
    """The tutor agent, on `model` or the one `settings` configure (offline when none is)."""
    # Learner conversations are never exported to a hosted tracing service.
    set_tracing_disabled(True)
    return Agent[TutorContext](
        name="tutor",
        instructions=_instructions,
        tools=list(TOOLS),
        model=chosen_model(TutorPolicy(), model=model, settings=settings),
        output_guardrails=[solution_guardrail],
    )


@dataclass(frozen=True)
class TurnResult:
    """The tutor's answer for one message, the guardrail's verdict when it replaced it, and who
    wrote the reply (`SpecialistReply.model`: "offline" or the model's name)."""

    reply: str
    blocked: Blocked | None = None
    model: str = OFFLINE


def _shown_code(context: TutorContext, reply: str) -> list[str]:
    """Code in `reply` worth remembering for the cumulative leak check: not the starter or a
    hint of the exercises in play (those are known anyway)."""
    known: set[tuple[str, ...]] = set()
    for exercise_id in {*context.in_play, context.state.current_exercise or ""}:
        try:
            exercise = context.catalog.exercise(exercise_id)
        except NotFound:
            continue
        for group in known_texts(exercise):
            known.update(tuple(normalised_tokens(text)) for text in group)
    pieces = []
    for piece in code_pieces(reply):
        tokens = tuple(normalised_tokens(piece))
        if len(tokens) >= MIN_REMEMBERED_TOKENS and tokens not in known:
            pieces.append(piece)
    return pieces


async def run_turn(
    agent: Agent[TutorContext],
    context: TutorContext,
    message: str,
    *,
    offline: bool | None = None,
    streamed: bool = False,
    settings: Settings | None = None,
) -> TurnResult:
    """Run the agent on one learner message. A reply the guardrail blocks is replaced by its
    refusal-and-hint; code the reply shows is remembered in the session state.

    The result names who wrote the reply (`written_by` on the model `settings` configure;
    `None`: no configured model): a replacement is LearnFlow's own text, never the model's.

    `streamed` runs it on the streaming runner (`Runner.run_streamed`, the path of
    `POST /respond/stream`) and holds every chunk back: the output guardrail decides on the
    whole reply, so no chunk of a reply it would block may reach the learner first. Cancelling
    the task (the learner left) cancels the run either way."""
    offline = context.offline if offline is None else offline
    try:
        if streamed:
            run = StreamedRun(agent, message, who="tutor", max_turns=MAX_TURNS, context=context)
            with held_back():  # not paced: nobody sees it being written
                async for _ in run.text():
                    pass  # held back until the guardrail has passed the whole reply
            result: RunResultBase = run.result
        else:
            result = await run_agent(
                agent, message, who="tutor", max_turns=MAX_TURNS, context=context
            )
    except OutputGuardrailTripwireTriggered as tripped:
        blocked = tripped.guardrail_result.output.output_info
        if not isinstance(blocked, Blocked):
            raise
        text = f"{OFFLINE_LABEL} {blocked.replacement}" if offline else blocked.replacement
        return TurnResult(reply=text, blocked=blocked, model=OFFLINE)
    reply = str(result.final_output or "").strip()
    pieces = _shown_code(context, reply)
    if pieces:
        context.change(lambda state: state.remember_shown_code(pieces))
    return TurnResult(reply=reply, model=written_by(result, settings))
