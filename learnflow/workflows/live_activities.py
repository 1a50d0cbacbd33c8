"""The activity that hands a live session's projection to its workflow (learnflow.workflows.live).

| activity          | effect (idempotent because ...)                                          |
|-------------------|--------------------------------------------------------------------------|
| read_live_session | a read; with `close` it also stops the row taking events (set once)      |
"""

from __future__ import annotations

from learnflow.db.repos import session_live
from learnflow.workflows import session as wf_session
from learnflow.workflows.activities import activity, database
from learnflow.workflows.activity_models import LiveRead, ReadLiveInput


@activity(wf_session.READ_LIVE)
async def read_live_session(ask: ReadLiveInput) -> LiveRead:
    """The session's live state; None when it has no live row (never created, which the
    workflow treats as "no learner events yet")."""
    async with database() as conn:
        if ask.close:
            state = await session_live.close(conn, ask.session_id)
        else:
            state = await session_live.get(conn, ask.session_id)
    return LiveRead(state=state)
