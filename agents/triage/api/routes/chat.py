"""`POST /chat`: the learner's entry point. Classify, route to a specialist, remember, announce.

Callers must be logged in (any role): the user id sent to specialists and put in events is the
verified principal's, and a session id belongs to the user who started it.

The events of a turn are queued in triage's outbox once the turn is saved and before the reply
(`learnflow.outbox`): a chat never waits on Kafka. When the specialist is unavailable (or an app
it needs), the learner gets a clear answer that names what is unavailable (`degraded`), not an
error; such a turn is not remembered, so resending the message later gets the full answer.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import APIRouter

from learnflow.api.deps import EventsDep, OptionalPoolDep, SettingsDep, SidecarDep
from learnflow.contracts import SpecialistReply, SpecialistRequest
from learnflow.curriculum import load_catalog
from learnflow.errors import DependencyFailed, InvalidInput, NotAllowed
from learnflow.events import Event, LearningResponse, LearningRouted
from learnflow.intent_fallback import classify_with_fallback
from learnflow.outbox import EventSink
from learnflow.progress.struggle import says_confused
from learnflow.settings import Settings
from learnflow.sidecar import Sidecar
from triage_agent import conversation, history, quizzes
from triage_agent.degraded import WHAT_IT_DOES, degraded_reply
from triage_agent.limits import ChatUser
from triage_agent.models import ChatReply, ChatRequest
from triage_agent.offtopic import own_reply

router = APIRouter(tags=["chat"])
log = logging.getLogger("triage.chat")
EVENT_NAMESPACE = uuid.UUID("6f1c0d2e-7a47-4f0e-9a52-3c1c6b1f7e10")


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


async def _ask(sidecar: Sidecar, agent: str, request: SpecialistRequest) -> tuple[Any, str | None]:
    """(the specialist's answer, None), or (None, the app that is unavailable) when it — or an
    app it needs — is down, restarting or behind an open breaker."""
    try:
        answer = await sidecar.invoke(agent, "respond", json_body=request.model_dump())
    except DependencyFailed as exc:
        return None, unavailable_app(exc, agent)
    return answer, None


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
        unavailable=unavailable or [],
    )


async def _quiz_turn(
    sidecar: Sidecar,
    body: ChatRequest,
    stored: conversation.Conversation,
    session_id: str,
    message_id: str,
    user_id: str,
) -> conversation.Turn | None:
    """The turn when the message starts a quiz or answers the question just asked; else None."""
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


@router.post("/chat", response_model=ChatReply, responses={429: {"description": "Too many"}})
async def chat(
    body: ChatRequest,
    sidecar: SidecarDep,
    events: EventsDep,
    user: ChatUser,
    pool: OptionalPoolDep,
    settings: SettingsDep,
) -> ChatReply:
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
        if replayed is not None:  # a retry: answer again from memory, announce again (same ids)
            await _announce(events, replayed, session_id, user_id)
            return _reply(replayed, session_id)

    missing: str | None = None  # the app that could not answer
    try:
        turn = await _quiz_turn(sidecar, body, stored, session_id, message_id, user_id)
    except DependencyFailed as exc:  # the tutor runs quizzes
        missing = unavailable_app(exc, "tutor")
        turn = _degraded_turn(missing, body, message_id, "tutor", "quiz", 1.0)
    if turn is None:
        turn, missing = await _specialist_turn(
            sidecar, settings, body, session_id, message_id, user_id
        )
    if missing is not None:  # not remembered: resending it later gets the full answer
        await _announce(events, turn, session_id, user_id, answered=False)
        return _reply(turn, session_id, unavailable=[missing])
    await conversation.append_turn(sidecar, session_id, turn, user_id)
    await history.record_turn(pool, user.user_id, session_id, turn)
    await _announce(events, turn, session_id, user_id)
    return _reply(turn, session_id)


def _degraded_turn(
    missing: str, body: ChatRequest, message_id: str, agent: str, intent: str, confidence: float
) -> conversation.Turn:
    degraded = degraded_reply(missing, body.message)
    return conversation.Turn(
        message_id=message_id,
        message=body.message,
        reply=degraded.reply,
        agent=agent,
        intent=intent,
        confidence=round(confidence, 3),
        sources=degraded.sources,
    )


async def _specialist_turn(
    sidecar: Sidecar,
    settings: Settings,
    body: ChatRequest,
    session_id: str,
    message_id: str,
    user_id: str,
) -> tuple[conversation.Turn, str | None]:
    """(the turn, None), or (a degraded turn, the app that is unavailable)."""
    decision = await classify_with_fallback(body.message, settings=settings)
    if decision.agent == "triage":
        answer = SpecialistReply(reply=own_reply(decision.intent))
    else:
        request = SpecialistRequest(
            message=body.message,
            session_id=session_id,
            message_id=message_id,
            intent=decision.intent,
            code=body.code or decision.code,
            exercise_id=body.exercise_id,
            user_id=user_id,
        )
        raw, missing = await _ask(sidecar, decision.agent, request)
        if missing is not None:
            turn = _degraded_turn(
                missing, body, message_id, decision.agent, decision.intent, decision.confidence
            )
            return turn, missing
        answer = SpecialistReply.model_validate(raw)
    offered = next((s for s in answer.sources if s.count(".") == 1 and _is_exercise(s)), None)
    turn = conversation.Turn(
        message_id=message_id,
        message=body.message,
        reply=answer.reply,
        agent=decision.agent,
        intent=decision.intent,
        confidence=round(decision.confidence, 3),
        sources=answer.sources,
        exercise_id=offered if decision.agent == "tutor" else None,
    )
    return turn, None


def _is_exercise(source: str) -> bool:
    """Whether a cited source is an exercise of the curriculum (not a lesson)."""
    return any(e.id == source for e in load_catalog().exercises)
