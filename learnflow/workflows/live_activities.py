"""The activity that hands a live session's projection to its workflow (learnflow.workflows.live).

| activity          | effect (idempotent because ...)                                          |
|-------------------|--------------------------------------------------------------------------|
| read_live_session | a read; with `close` it also stops the row taking events (set once)      |
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from learnflow.db.repos import session_live
from learnflow.workflows import session as wf_session
from learnflow.workflows.activities import activity, database


class ReadLive(BaseModel):
    model_config = ConfigDict(extra="ignore")

    session_id: str = Field(min_length=1)
    close: bool = False


@activity(wf_session.READ_LIVE)
async def read_live_session(payload: dict[str, Any]) -> dict[str, Any]:
    """`{"state": SessionState | None}`: None when the session has no live row (never created,
    which the workflow treats as "no learner events yet")."""
    ask = ReadLive.model_validate(payload)
    async with database() as conn:
        if ask.close:
            state = await session_live.close(conn, ask.session_id)
        else:
            state = await session_live.get(conn, ask.session_id)
    return {"state": None if state is None else state.model_dump(mode="json")}
