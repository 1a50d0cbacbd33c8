"""The routing log of each session id: how each chat message was routed and answered, as seen on
the event bus (docs/glossary.md). Stored under the state key `activity:<session_id>` (the key
keeps its first name: stored data uses it).

Filled from `learning.routed` and `learning.response`; each event is recorded once, however often
Kafka delivers it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from learnflow.events import Event, LearningResponse, LearningRouted
from learnflow.sidecar import Sidecar
from learnflow.state_update import Keep, Save, update_state

MAX_ENTRIES = 500
ATTEMPTS = 8


class RoutingLogEntry(BaseModel):
    event_id: str
    topic: str
    message_id: str
    agent: str
    intent: str | None = None
    at: str


class RoutingLog(BaseModel):
    session_id: str
    entries: list[RoutingLogEntry] = Field(default_factory=list)


def state_key(session_id: str) -> str:
    return f"activity:{session_id}"


async def load(sidecar: Sidecar, session_id: str) -> tuple[RoutingLog, str | None]:
    raw, etag = await sidecar.get_state_entry(state_key(session_id))
    return _parse(session_id, raw), etag


def _parse(session_id: str, raw: Any | None) -> RoutingLog:
    if raw is None:
        return RoutingLog(session_id=session_id)
    return RoutingLog.model_validate(raw)


async def record(sidecar: Sidecar, event: Event) -> bool:
    """Add a chat event to its routing log once; False if it was there already (a redelivery)."""
    if not isinstance(event, LearningRouted | LearningResponse) or not event.session_id:
        return False
    entry = RoutingLogEntry(
        event_id=event.id,
        topic=event.topic,
        message_id=event.message_id,
        agent=event.agent,
        intent=event.intent if isinstance(event, LearningRouted) else None,
        at=event.occurred_at.isoformat(),
    )
    session_id = event.session_id

    def decide(raw: Any | None) -> Save[bool] | Keep[bool]:
        log = _parse(session_id, raw)
        if any(e.event_id == entry.event_id for e in log.entries):
            return Keep(False)
        entries = [*log.entries, entry][-MAX_ENTRIES:]
        return Save(log.model_copy(update={"entries": entries}).model_dump(mode="json"), True)

    # (a lost first write — two events of a new session at once — is retried by update_state)
    return await update_state(
        sidecar,
        state_key(session_id),
        decide,
        attempts=ATTEMPTS,
        contended=f"the routing log of session {session_id} is contended; will retry",
    )
