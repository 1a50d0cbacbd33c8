"""Live sessions at the edge: the projection's row is created with the session, takes each
learner event in the request's own transaction, and pokes the workflow only when it must act
(see `learnflow.workflows.live`).

The event is in PostgreSQL before the 202: an exam answer accepted a second before the deadline
is in the tally the workflow grades, and a session's events are visible to `GET /sessions/{id}`
as soon as they are acknowledged. Producers that must not wait for triage still publish
`session.activity` to Kafka; its subscription lands in the same function.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from learnflow.db.pool import Pool
from learnflow.db.repos import session_live
from learnflow.errors import Conflict
from learnflow.workflows import session as wf_session
from learnflow.workflows.live import live_view, must_notify
from learnflow.workflows.models import SessionEvent, SessionState
from triage_agent.workflow_runtime import WorkflowHost


async def create(pool: Pool, state: SessionState) -> SessionState:
    """The session's row, before its workflow starts (so its first event has somewhere to go).
    A retried start finds its own row and gets the stored state back (start the workflow with
    that); another student's session id is a conflict."""
    async with pool.connection() as conn:
        stored = await session_live.create(conn, state)
    if stored.student_id != state.student_id:
        raise Conflict(f"session id {state.session_id} is taken; choose another")
    return stored


async def owner(pool: Pool, host: WorkflowHost, session_id: str) -> str | None:
    """The student of a live session (None: not a live session)."""
    known = host.live_owners.get(session_id)
    if known is not None:
        return known
    async with pool.connection() as conn:
        found = await session_live.owner(conn, session_id)
    if found is not None:
        host.remember_live_owner(session_id, found)
    return found


async def apply(pool: Pool, host: WorkflowHost, session_id: str, event: SessionEvent) -> bool:
    """Fold one event into the session's row; True if it was accepted (False: a duplicate, or
    late for an exam). Conflict once the workflow has closed the row to finalize."""
    async with pool.connection() as conn, conn.transaction():
        done = await session_live.apply(conn, session_id, [event], wf_session.apply_event)
    # a duplicate pokes again: the first delivery may have stored the event and then failed to
    # raise it (the workflow dedupes it on its id); not once the row is closed (it is finalizing)
    if not done.closed and must_notify(done.before, done.after, event):
        await host.client.raise_event(wf_session.instance_id(session_id), wf_session.EVENT, event)
    return done.accepted[0]


async def read(pool: Pool, session_id: str) -> SessionState | None:
    async with pool.connection() as conn:
        return await session_live.get(conn, session_id)


async def status(
    pool: Pool | None, session_id: str, workflow_status: Mapping[str, Any] | None
) -> Mapping[str, Any] | None:
    """What `GET /sessions/{id}` shows: the merged view of a live session, else the
    workflow's own status."""
    if pool is None:
        return workflow_status
    live = await read(pool, session_id)
    if live is None or not live.live:
        return workflow_status
    return live_view(live, workflow_status)
