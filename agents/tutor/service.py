"""The tutor's use cases behind its routes: answer a message, recommend, grade.

Events are queued in the outbox (`learnflow.outbox`) after the session state is committed and
before the reply, so a grade the learner sees is never lost, whatever Kafka does; the app's
relay publishes them. Their ids are derived from the submission id, so a retried request (same
message id, or same submission) queues nothing new and consumers dedupe; the state counts an
attempt once per submission id.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import uuid
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any

from agents import Agent

from learnflow.contracts import SpecialistReply, StreamedReply
from learnflow.curriculum import Catalog
from learnflow.errors import InvalidInput, PayloadTooLarge
from learnflow.events import CodeSubmitted, ExerciseGraded
from learnflow.intents import extract_code
from learnflow.llm.streaming import phrases
from learnflow.outbox import EventSink

from .agent import SUBMISSION_NAMESPACE, TurnResult, run_turn
from .context import GradedSubmission, TutorContext
from .error_help import split_traceback
from .exercises import find_exercise, public_view, recommend
from .grading import SidecarGrader
from .mesh import Mesh
from .models import (
    MAX_CODE_CHARS,
    ExercisePublic,
    GradeReply,
    GradeRequest,
    HiddenTestResult,
    RecommendReply,
    RecommendRequest,
    TutorRequest,
)
from .review import review_code
from .state import TutorState, TutorStateStore

__all__ = ["APP_ID", "PreparedTurn", "TutorService", "event_id"]

APP_ID = "tutor"
_STUCK = re.compile(r"\b(stuck|(don'?t|do not) (understand|get it))\b", re.I)


def event_id(kind: str, submission_id: str) -> str:
    """The id of the `kind` event about a submission: the same submission, the same id."""
    return str(uuid.uuid5(SUBMISSION_NAMESPACE, f"{kind}/{submission_id}"))


def _check_code(code: str) -> str:
    if not code.strip():
        raise InvalidInput("code is empty: send the Python code to grade in `code`")
    if len(code) > MAX_CODE_CHARS:
        raise PayloadTooLarge(
            f"code is {len(code)} characters long; the limit is {MAX_CODE_CHARS} — submit only "
            "the exercise's code",
            limit=MAX_CODE_CHARS,
        )
    return code


@dataclass(frozen=True)
class PreparedTurn:
    """A learner message ready for the agent (`TutorService.prepare`)."""

    request: TutorRequest
    state: TutorState
    etag: str | None
    context: TutorContext
    agent_input: str


class TutorService:
    """One request's worth of tutor: cheap to create (the agent and catalog are shared)."""

    def __init__(
        self,
        mesh: Mesh,
        catalog: Catalog,
        agent: Agent[TutorContext],
        *,
        offline: bool,
        events: EventSink,
        leak_check_timeout_s: float,
    ) -> None:
        self.mesh = mesh
        self.events = events
        self.catalog = catalog
        self.agent = agent
        self.offline = offline
        #: `settings.tutor_leak_check_timeout_s`: how long the solution-leak guardrail may run
        self.leak_check_timeout_s = leak_check_timeout_s
        self.states = TutorStateStore(mesh)
        #: The last turn `respond` ran (its guardrail verdict), for logs and evaluations.
        self.last_turn: TurnResult | None = None

    # --- POST /respond, POST /respond/stream -------------------------------------------------
    async def respond(self, request: TutorRequest, *, model: str | None = None) -> SpecialistReply:
        """The reply to `request`; `model`: who writes the tutor's replies
        (`SpecialistReply.model`)."""
        return await self.answer(await self.prepare(request), model=model)

    async def prepare(self, request: TutorRequest) -> PreparedTurn:
        """Everything before the agent runs: the session loaded, the turn's context built (an
        unknown exercise id or the state store being down fail here, before a stream starts)."""
        state, etag = await self.states.load(request.session_id)
        code = request.code or extract_code(request.message)[0]
        if code and split_traceback(code)[0] is not None:
            # a pasted traceback is an error to explain, not code to review: keep only the code
            code = split_traceback(code)[1].strip() or None
        context = TutorContext(
            catalog=self.catalog,
            state=state.model_copy(deep=True),
            grader=SidecarGrader(self.mesh),
            session_id=request.session_id,
            user_id=request.user_id,
            message_id=request.message_id,
            intent=request.intent,
            learner_message=request.message,
            learner_code=code,
            mastery=request.mastery or {},
            offline=self.offline,
            leak_check_timeout_s=self.leak_check_timeout_s,
        )
        if request.exercise_id:
            # the exercise open in the learner's editor is the one "hint" and "I'm stuck" mean
            context.start(find_exercise(self.catalog, request.exercise_id))
        if _STUCK.search(request.message):
            context.change(lambda state: state.count_stuck())
        return PreparedTurn(request, state, etag, context, self._agent_input(request, code))

    async def answer(
        self, turn: PreparedTurn, *, model: str | None = None, streamed: bool = False
    ) -> SpecialistReply:
        """Run the agent (`streamed`: on the streaming runner), then commit the session and
        queue the grading events; the reply names `model` as its author."""
        request, context = turn.request, turn.context
        result = self.last_turn = await run_turn(
            self.agent, context, turn.agent_input, streamed=streamed
        )
        saved = await self.states.commit(
            request.session_id, context.changes, base=(turn.state, turn.etag)
        )
        for graded in context.graded:
            await self._queue_events(graded, request.session_id, request.user_id)
        current = saved.current_exercise
        follow_up = None
        if current and not saved.peek(current).passed:
            follow_up = "Paste your code when you're ready: I'll run the hidden tests."
        sources = list(dict.fromkeys(context.cited_lessons))
        sources += sorted(context.in_play | ({current} if current else set()))
        return SpecialistReply(
            reply=result.reply, sources=sources, follow_up=follow_up, model=model
        )

    async def stream(
        self, turn: PreparedTurn, *, model: str, pause_s: float = 0.0
    ) -> AsyncGenerator[str | StreamedReply, None]:
        """`answer`, streamed for `learnflow.api.streaming.reply_events`: the reply's phrases
        (`pause_s` apart), then the reply with the guardrail's verdict. Nothing is sent before
        the guardrail has decided on the whole reply (`run_turn`): a reply it blocks never
        reaches the learner, not even in part; what streams is the reply it passed, or its
        replacement."""
        reply = await self.answer(turn, model=model, streamed=True)
        for phrase in phrases(reply.reply):
            await asyncio.sleep(pause_s)
            yield phrase
        blocked = self.last_turn is not None and self.last_turn.blocked is not None
        yield StreamedReply(
            **reply.model_dump(), agent=APP_ID, guardrail="blocked" if blocked else "passed"
        )

    @staticmethod
    def _agent_input(request: TutorRequest, code: str | None) -> str:
        if not code or code.strip() in request.message:
            return request.message
        return f"{request.message}\n\n```python\n{code.rstrip()}\n```"

    # --- POST /exercises/recommend ------------------------------------------------------------
    async def recommend(self, body: RecommendRequest) -> RecommendReply:
        done: set[str] = set()
        if body.session_id:
            state, _ = await self.states.load(body.session_id)
            done = {eid for eid, p in state.exercises.items() if p.passed}
            if state.current_exercise:
                done.add(state.current_exercise)
        found = recommend(
            self.catalog,
            topic=body.topic,
            difficulty=body.difficulty,
            mastery=body.mastery,
            done=done,
            count=body.count,
        )
        return RecommendReply(
            topic=found.topic,
            lesson=found.lesson,
            level=found.level.label,
            difficulties=list(found.difficulties),
            note=found.note,
            exercises=[ExercisePublic(**public_view(e)) for e in found.exercises],
        )

    # --- POST /grade --------------------------------------------------------------------------
    async def grade(self, body: GradeRequest) -> GradeReply:
        if body.exercise is not None and body.exercise.id == body.exercise_id:
            exercise = body.exercise.as_exercise()
        else:
            exercise = find_exercise(self.catalog, body.exercise_id)
        code = _check_code(body.code)
        submission_id = body.submission_id or self._derived_submission_id(body, code)
        result = await SidecarGrader(self.mesh).grade(
            exercise,
            code,
            submission_id=submission_id,
            session_id=body.session_id,
            user_id=body.user_id,
        )
        review = review_code(code, correctness=result.summary)
        if body.session_id:
            exercise_id, status = exercise.id, result.status

            def start(state: TutorState) -> None:
                state.start(exercise_id)

            def attempt(state: TutorState) -> None:
                state.record_attempt(exercise_id, submission_id, status)

            await self.states.commit(body.session_id, [start, attempt])
        graded = GradedSubmission(
            exercise, submission_id, result, review.score, learners_code=True, code_chars=len(code)
        )
        await self._queue_events(graded, body.session_id, body.user_id)
        return GradeReply(
            submission_id=submission_id,
            event_id=event_id("exercise.graded", submission_id),
            exercise_id=exercise.id,
            status=result.status,
            passed=result.passed,
            tests_passed=result.tests_passed,
            tests_total=result.tests_total,
            summary=result.summary,
            explanation=result.explanation,
            tests=[HiddenTestResult(**t.to_dict()) for t in result.tests],
            review=review.to_dict(),
        )

    @staticmethod
    def _derived_submission_id(body: GradeRequest, code: str) -> str:
        who = body.session_id or body.user_id or "anonymous"
        digest = hashlib.sha256(code.encode()).hexdigest()
        return str(uuid.uuid5(SUBMISSION_NAMESPACE, f"{who}/{body.exercise_id}/{digest}"))

    # --- events -------------------------------------------------------------------------------
    async def _queue_events(
        self, graded: GradedSubmission, session_id: str | None, user_id: str | None
    ) -> None:
        """`code.submitted` then `exercise.graded` for a grading of the learner's own code."""
        if not graded.learners_code:
            return
        common: dict[str, Any] = {
            "source": APP_ID,
            "session_id": session_id,
            "user_id": user_id,
            "submission_id": graded.submission_id,
            "exercise_id": graded.exercise.id,
        }
        result = graded.result
        await self.events.queue(
            CodeSubmitted(
                id=event_id("code.submitted", graded.submission_id),
                code_chars=graded.code_chars,
                **common,
            ),
            ExerciseGraded(
                id=event_id("exercise.graded", graded.submission_id),
                topic_id=graded.exercise.module,
                passed=result.passed,
                tests_passed=result.tests_passed,
                tests_total=result.tests_total,
                code_quality=graded.quality,
                error_type=result.error_type,
                tests=[{"name": t.name, "status": t.status} for t in result.tests],
                **common,
            ),
        )
