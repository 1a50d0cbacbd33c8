"""`POST /chat`: the learner's entry point. Classify, route to a specialist, remember, announce.

Callers must be logged in (any role): the user id sent to specialists and put in events is the
verified principal's, and a session belongs to the user who started it.

The events of a turn are queued in triage's outbox once the turn is saved and before the reply
(`learnflow.outbox`): a chat never waits on Kafka. When the specialist is unavailable, the
learner gets a clear answer that names what is unavailable (`degraded`), not an error.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import APIRouter

from learnflow.api.deps import EventsDep, SidecarDep
from learnflow.auth.deps import CurrentUser
from learnflow.contracts import SpecialistReply, SpecialistRequest
from learnflow.errors import DependencyFailed, NotAllowed
from learnflow.events import Event, LearningResponse, LearningRouted
from learnflow.intents import Classification, classify
from learnflow.outbox import EventSink
from learnflow.progress.struggle import says_confused
from learnflow.sidecar import Sidecar
from triage_agent import conversation
from triage_agent.degraded import WHAT_IT_DOES, degraded_reply
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


async def _ask(
    sidecar: Sidecar, decision: Classification, request: SpecialistRequest
) -> tuple[Any, str | None]:
    """(the specialist's answer, None), or (None, the app that is unavailable) when it — or an
    app it needs — is down, restarting or behind an open breaker. Our own sidecar being away is
    not degraded: nothing could be saved, so that is a 503."""
    try:
        answer = await sidecar.invoke(decision.agent, "respond", json_body=request.model_dump())
    except DependencyFailed as exc:
        if exc.dependency == "daprd":
            raise
        log.warning("%s is unavailable, answering degraded: %s", decision.agent, exc.message)
        missing = exc.dependency if exc.dependency in WHAT_IT_DOES else decision.agent
        return None, missing
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
        unavailable=unavailable or [],
    )


@router.post("/chat", response_model=ChatReply)
async def chat(
    body: ChatRequest, sidecar: SidecarDep, events: EventsDep, user: CurrentUser
) -> ChatReply:
    session_id = body.session_id or str(uuid.uuid4())
    message_id = body.message_id or str(uuid.uuid4())
    user_id = str(user.user_id)
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

    decision = classify(body.message)
    if decision.agent == "triage":
        answer = SpecialistReply(reply=own_reply(decision.intent))
    else:
        request = SpecialistRequest(
            message=body.message,
            session_id=session_id,
            message_id=message_id,
            intent=decision.intent,
            code=decision.code,
            user_id=user_id,
        )
        raw, missing = await _ask(sidecar, decision, request)
        if missing is not None:
            degraded = degraded_reply(missing, body.message)
            turn = conversation.Turn(
                message_id=message_id,
                message=body.message,
                reply=degraded.reply,
                agent=decision.agent,
                intent=decision.intent,
                confidence=round(decision.confidence, 3),
                sources=degraded.sources,
            )
            await _announce(events, turn, session_id, user_id, answered=False)
            return _reply(turn, session_id, unavailable=[missing])
        answer = SpecialistReply.model_validate(raw)

    turn = conversation.Turn(
        message_id=message_id,
        message=body.message,
        reply=answer.reply,
        agent=decision.agent,
        intent=decision.intent,
        confidence=round(decision.confidence, 3),
        sources=answer.sources,
    )
    await conversation.append_turn(sidecar, session_id, turn, user_id)
    await _announce(events, turn, session_id, user_id)
    return _reply(turn, session_id)
