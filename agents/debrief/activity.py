"""What happened in each session, as seen on the event bus (state key `activity:<session>`).

Filled from `learning.routed` and `learning.response`; each event is recorded once, however often
Kafka delivers it.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from learnflow.errors import Conflict, DependencyFailed
from learnflow.events import Event, LearningResponse, LearningRouted
from learnflow.sidecar import Sidecar

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
    if raw is None:
        return Activity(session_id=session_id), None
    return Activity.model_validate(raw), etag


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
    for _ in range(ATTEMPTS):
        activity, etag = await load(sidecar, event.session_id)
        if any(e.event_id == event.id for e in activity.entries):
            return False
        entries = [*activity.entries, entry][-MAX_ENTRIES:]
        try:
            await sidecar.save_state(
                state_key(event.session_id),
                activity.model_copy(update={"entries": entries}).model_dump(mode="json"),
                etag=etag,
            )
        except Conflict:
            continue
        except DependencyFailed:
            # The PostgreSQL state store answers a lost first write (two events of a new session
            # at once) with a 500, not a 409: if the key changed under us, it was that race.
            _, now = await sidecar.get_state_entry(state_key(event.session_id))
            if now != etag:
                continue
            raise
        return True
    raise Conflict(f"activity of session {event.session_id} is contended; will retry")
