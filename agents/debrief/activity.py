"""What happened in each session, as seen on the event bus (state key `activity:<session>`).

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


class Entry(BaseModel):
    event_id: str
    topic: str
    message_id: str
    agent: str
    intent: str | None = None
    at: str


class Activity(BaseModel):
    session_id: str
    entries: list[Entry] = Field(default_factory=list)


def state_key(session_id: str) -> str:
    return f"activity:{session_id}"


async def load(sidecar: Sidecar, session_id: str) -> tuple[Activity, str | None]:
    raw, etag = await sidecar.get_state_entry(state_key(session_id))
    return _parse(session_id, raw), etag


def _parse(session_id: str, raw: Any | None) -> Activity:
    if raw is None:
        return Activity(session_id=session_id)
    return Activity.model_validate(raw)


async def record(sidecar: Sidecar, event: Event) -> bool:
    """Record a learning event once; returns False if it was already recorded (a redelivery)."""
    if not isinstance(event, LearningRouted | LearningResponse) or not event.session_id:
        return False
    entry = Entry(
        event_id=event.id,
        topic=event.topic,
        message_id=event.message_id,
        agent=event.agent,
        intent=event.intent if isinstance(event, LearningRouted) else None,
        at=event.occurred_at.isoformat(),
    )
    session_id = event.session_id

    def decide(raw: Any | None) -> Save[bool] | Keep[bool]:
        activity = _parse(session_id, raw)
        if any(e.event_id == entry.event_id for e in activity.entries):
            return Keep(False)
        entries = [*activity.entries, entry][-MAX_ENTRIES:]
        return Save(activity.model_copy(update={"entries": entries}).model_dump(mode="json"), True)

    # (a lost first write — two events of a new session at once — is retried by update_state)
    return await update_state(
        sidecar,
        state_key(session_id),
        decide,
        attempts=ATTEMPTS,
        contended=f"activity of session {session_id} is contended; will retry",
    )
