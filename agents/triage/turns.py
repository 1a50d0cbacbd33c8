"""One chat turn, in the steps `POST /chat` and `POST /chat/stream` share (`routes/chat.py`):

1. `begin`: the ids, the stored conversation, whose session it is; a retried message id is
   answered again from memory;
2. `route`: a quiz start or answer, or triage's own reply (off-topic, unsafe), is a finished
   `Outcome`; anything else is an `Ask` of a specialist — which the two routes put to it
   whole (`/respond`) or streamed (`/respond/stream`) — made into an `Outcome` by `answered`,
   or by `degraded` when the specialist (or an app it needs) is unavailable;
3. `finish`: remember the turn (the conversation and the user's history), queue its events,
   and give the reply. A degraded turn is not remembered: resending the message later gets
   the full answer.

The events of a turn are queued in triage's outbox once the turn is saved and before the reply
(`learnflow.outbox`): a chat never waits on Kafka.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from learnflow.auth.tokens import Principal
from learnflow.contracts import SpecialistReply, SpecialistRequest
from learnflow.curriculum import load_catalog
from learnflow.db.pool import Pool
from learnflow.errors import DependencyFailed, InvalidInput, NotAllowed
from learnflow.events import Event, LearningResponse, LearningRouted
from learnflow.intent_fallback import classify_with_fallback
from learnflow.intents import Classification
from learnflow.outbox import EventSink
from learnflow.progress.struggle import says_confused
from learnflow.settings import Settings
from learnflow.sidecar import Sidecar
from triage_agent import conversation, history, quizzes
from triage_agent.degraded import WHAT_IT_DOES, degraded_reply
from triage_agent.models import ChatReply, ChatRequest
from triage_agent.offtopic import own_reply

log = logging.getLogger("triage.chat")
EVENT_NAMESPACE = uuid.UUID("6f1c0d2e-7a47-4f0e-9a52-3c1c6b1f7e10")


@dataclass(frozen=True)
class Begun:
    """A message being answered: whose, in which session, and the session so far."""

    body: ChatRequest
    session_id: str
    message_id: str
    user: Principal
    stored: conversation.Conversation
    settings: Settings  # the app's: its message length limit, its model for the fallback

    @property
    def user_id(self) -> str:
        return str(self.user.user_id)


@dataclass(frozen=True)
class Ask:
    """The specialist to ask, and what to send it."""

    decision: Classification
    request: SpecialistRequest

    @property
    def agent(self) -> str:
        return self.decision.agent


@dataclass(frozen=True)
class Outcome:
    """A finished turn; `missing`: the app that could not answer (a degraded turn)."""

    turn: conversation.Turn
    missing: str | None = None


def _event_id(session_id: str, message_id: str, kind: str) -> str:
    """Deterministic, so a retried message re-publishes the same events (consumers dedupe)."""
    return str(uuid.uuid5(EVENT_NAMESPACE, f"{session_id}/{message_id}/{kind}"))


async def _announce(
    events: EventSink,
    turn: conversation.Turn,
    session_id: str,
    user_id: str | None,
    *,
    answered: bool = True,
) -> None:
    """Queue `learning.routed` (and `learning.response` when a specialist answered)."""
    common = {
        "session_id": session_id,
        "user_id": user_id,
        "source": "triage",
        "message_id": turn.message_id,
    }
    queued: list[Event] = [
        LearningRouted(
            id=_event_id(session_id, turn.message_id, "routed"),
            intent=turn.intent,
            agent=turn.agent,
            confidence=turn.confidence,
            says_confused=says_confused(turn.message),
            **common,
        )
    ]
    if answered:
        queued.append(
            LearningResponse(
                id=_event_id(session_id, turn.message_id, "response"),
                agent=turn.agent,
                reply_chars=len(turn.reply),
                sources=turn.sources,
                **common,
            )
        )
    await events.queue(*queued)


def unavailable_app(exc: DependencyFailed, called: str) -> str:
    """The app to name when calling `called` failed: the one its answer says is down (the code
    runner behind the tutor), else `called` itself. Our own sidecar being away is not degraded:
    nothing could be saved, so that stays a 503 (re-raised)."""
    if exc.dependency == "daprd":
        raise exc
    log.warning("%s is unavailable, answering degraded: %s", called, exc.message)
    return exc.dependency if exc.dependency in WHAT_IT_DOES else called


def _reply(
    turn: conversation.Turn, session_id: str, unavailable: list[str] | None = None
) -> ChatReply:
    return ChatReply(
        reply=turn.reply,
        routed_to=turn.agent,
        session_id=session_id,
        message_id=turn.message_id,
        intent=turn.intent,
        confidence=turn.confidence,
        sources=turn.sources,
        quiz=turn.quiz,
        exercise_id=turn.exercise_id,
        model=turn.model,
        unavailable=unavailable or [],
    )


async def begin(
    sidecar: Sidecar, events: EventSink, body: ChatRequest, user: Principal, settings: Settings
) -> Begun | ChatReply:
    """The message's ids and session (someone else's session is 403); a retried message id is
    answered again from memory (and announced again, with the same event ids)."""
    body.check_length(settings.max_message_chars)
    session_id = body.session_id or str(uuid.uuid4())
    message_id = body.message_id or str(uuid.uuid4())
    user_id = str(user.user_id)
    stored = conversation.Conversation(session_id=session_id)
    if body.session_id is not None:
        stored, _ = await conversation.load(sidecar, session_id)
        if stored.user_id is not None and stored.user_id != user_id:
            raise NotAllowed(
                "This session belongs to another user: continue one of your own sessions, or "
                "omit session_id to start a new one",
                relationship="session_owner",
            )
        replayed = stored.find(message_id) if body.message_id is not None else None
        if replayed is not None:
            await _announce(events, replayed, session_id, user_id)
            return _reply(replayed, session_id)
    return Begun(body, session_id, message_id, user, stored, settings)


async def route(sidecar: Sidecar, begun: Begun) -> Outcome | Ask:
    """A quiz turn or triage's own reply (finished), or the specialist to ask."""
    try:
        turn = await _quiz_turn(sidecar, begun)
    except DependencyFailed as exc:  # the tutor runs quizzes
        missing = unavailable_app(exc, "tutor")
        return Outcome(_degraded_turn(begun, missing, "tutor", "quiz", 1.0), missing)
    if turn is not None:
        return Outcome(turn)
    body = begun.body
    decision = await classify_with_fallback(body.message, settings=begun.settings)
    if decision.agent == "triage":
        return answered(begun, decision, SpecialistReply(reply=own_reply(decision.intent)))
    request = SpecialistRequest(
        message=body.message,
        session_id=begun.session_id,
        message_id=begun.message_id,
        intent=decision.intent,
        code=body.code or decision.code,
        exercise_id=body.exercise_id,
        user_id=begun.user_id,
    )
    return Ask(decision, request)


def answered(begun: Begun, decision: Classification, answer: SpecialistReply) -> Outcome:
    """The turn `answer` makes (a tutor reply that offers an exercise names it)."""
    offered = next((s for s in answer.sources if s.count(".") == 1 and _is_exercise(s)), None)
    turn = conversation.Turn(
        message_id=begun.message_id,
        message=begun.body.message,
        reply=answer.reply,
        agent=decision.agent,
        intent=decision.intent,
        confidence=round(decision.confidence, 3),
        sources=answer.sources,
        exercise_id=offered if decision.agent == "tutor" else None,
        model=answer.model,
    )
    return Outcome(turn)


def degraded(begun: Begun, ask: Ask, exc: DependencyFailed) -> Outcome:
    """The turn when `ask`'s specialist (or an app it needs) is unavailable."""
    missing = unavailable_app(exc, ask.agent)
    decision = ask.decision
    turn = _degraded_turn(begun, missing, decision.agent, decision.intent, decision.confidence)
    return Outcome(turn, missing)


async def finish(
    sidecar: Sidecar, events: EventSink, pool: Pool | None, begun: Begun, outcome: Outcome
) -> ChatReply:
    """Remember the turn and queue its events (a degraded one: announced, not remembered)."""
    turn, session_id, user_id = outcome.turn, begun.session_id, begun.user_id
    if outcome.missing is not None:  # not remembered: resending it later gets the full answer
        await _announce(events, turn, session_id, user_id, answered=False)
        return _reply(turn, session_id, unavailable=[outcome.missing])
    await conversation.append_turn(sidecar, session_id, turn, user_id)
    await history.record_turn(pool, begun.user.user_id, session_id, turn)
    await _announce(events, turn, session_id, user_id)
    return _reply(turn, session_id)


async def _quiz_turn(sidecar: Sidecar, begun: Begun) -> conversation.Turn | None:
    """The turn when the message starts a quiz or answers the question just asked; else None."""
    body, session_id, message_id = begun.body, begun.session_id, begun.message_id
    user_id, stored = begun.user_id, begun.stored
    common = {"message_id": message_id, "message": body.message, "agent": "tutor"}
    asked = stored.turns[-1].open_question if stored.turns else None
    if asked is not None:
        quiz_id, question_id, choices = asked
        choice = quizzes.bare_choice(body.message, choices)
        if choice is not None:
            outcome = await quizzes.answer(
                sidecar, user_id=user_id, quiz_id=quiz_id, question_id=question_id, choice=choice
            )
            reply = quizzes.render_outcome(outcome)
            return conversation.Turn(
                **common, reply=reply, intent="quiz_answer", confidence=1.0, quiz=outcome
            )
    if not quizzes.asks_for_quiz(body.message):
        return None
    topic = quizzes.quiz_topic(body.message) or (body.exercise_id or "").split(".")[0] or None
    try:
        view = await quizzes.start(
            sidecar,
            user_id=user_id,
            topic=topic,
            session_id=session_id,
            quiz_id=f"{session_id}.{message_id}"[:100],
        )
    except InvalidInput as exc:  # no topic we have a quiz for: say so, in the conversation
        reply = f"{exc.message}. Try for example “Quiz me on for loops”."
        return conversation.Turn(**common, reply=reply, intent="quiz", confidence=1.0)
    reply = quizzes.render_start(view)
    return conversation.Turn(**common, reply=reply, intent="quiz", confidence=1.0, quiz=view)


def _degraded_turn(
    begun: Begun, missing: str, agent: str, intent: str, confidence: float
) -> conversation.Turn:
    degraded_answer = degraded_reply(missing, begun.body.message)
    return conversation.Turn(
        message_id=begun.message_id,
        message=begun.body.message,
        reply=degraded_answer.reply,
        agent=agent,
        intent=intent,
        confidence=round(confidence, 3),
        sources=degraded_answer.sources,
    )


def _is_exercise(source: str) -> bool:
    """Whether a cited source is an exercise of the curriculum (not a lesson)."""
    return any(e.id == source for e in load_catalog().exercises)
