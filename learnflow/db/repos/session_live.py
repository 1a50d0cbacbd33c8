"""The live state of learning sessions (migration 0013): one row per session, one writer at a
time (row lock), each event folded in by the session workflow's own pure rules.

A redelivered event is a no-op (its id is in the state's `seen_ids`), so the route, a Kafka
redelivery and a retried HTTP request may all apply the same event.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

from psycopg.types.json import Jsonb

from learnflow.db.pool import Conn
from learnflow.errors import Conflict, NotFound
from learnflow.workflows.models import SessionEvent, SessionState


async def create(conn: Conn, state: SessionState) -> SessionState:
    """Store a new session's initial state; an existing row (a retried start) is left alone
    and returned, so the caller can check whose it is."""
    await conn.execute(
        "insert into session_live (session_id, student_id, state) values (%s, %s, %s)"
        " on conflict (session_id) do nothing",
        (state.session_id, state.student_id, Jsonb(state.model_dump(mode="json"))),
    )
    stored = await get(conn, state.session_id)
    assert stored is not None
    return stored


async def get(conn: Conn, session_id: str) -> SessionState | None:
    cur = await conn.execute("select state from session_live where session_id = %s", (session_id,))
    row = await cur.fetchone()
    return None if row is None else SessionState.model_validate(row[0])


async def owner(conn: Conn, session_id: str) -> str | None:
    cur = await conn.execute(
        "select student_id from session_live where session_id = %s", (session_id,)
    )
    row = await cur.fetchone()
    return None if row is None else str(row[0])


class Applied(NamedTuple):
    before: SessionState
    after: SessionState
    accepted: list[bool]  # per event: False for a duplicate, or late for an exam
    closed: bool  # the workflow had closed the row (only retries of what it took get here)


async def apply(
    conn: Conn,
    session_id: str,
    events: Sequence[SessionEvent],
    fold: Callable[[SessionState, SessionEvent], tuple[SessionState, bool]],
) -> Applied:
    """Fold `events` into the session's state in this transaction. `fold(state, event) ->
    (state, accepted)` is the workflow's `apply_event`.

    NotFound when the session has no live row; Conflict once the workflow has closed it,
    unless every event is one it already took (a retry: nothing changes, no error).
    """
    cur = await conn.execute(
        "select state, closed_at from session_live where session_id = %s for update",
        (session_id,),
    )
    row = await cur.fetchone()
    if row is None:
        raise NotFound(f"no session {session_id}")
    before = SessionState.model_validate(row[0])
    if row[1] is not None:
        if all(event.id in before.seen_ids for event in events):  # a retry of what it took
            return Applied(before, before, [False] * len(events), closed=True)
        raise Conflict(f"session {session_id} is finalized (or finalizing); start a new one")
    state = before.model_copy(deep=True)
    accepted: list[bool] = []
    for event in events:
        state, ok = fold(state, event)
        accepted.append(ok)
    if any(accepted) or state.late_events != before.late_events:
        await conn.execute(
            "update session_live set state = %s, updated_at = now() where session_id = %s",
            (Jsonb(state.model_dump(mode="json")), session_id),
        )
    return Applied(before, state, accepted, closed=False)


async def close(conn: Conn, session_id: str) -> SessionState | None:
    """The state the workflow finalizes on; no event is applied after it (idempotent)."""
    cur = await conn.execute(
        "update session_live set closed_at = coalesce(closed_at, now())"
        " where session_id = %s returning state",
        (session_id,),
    )
    row = await cur.fetchone()
    return None if row is None else SessionState.model_validate(row[0])
