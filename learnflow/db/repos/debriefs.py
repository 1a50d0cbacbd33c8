"""Session debriefs: one per finalized session."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from learnflow.db.models import Debrief
from learnflow.db.pool import Conn
from learnflow.db.repos._rows import fetch_all, fetch_one, insert_or_get
from learnflow.errors import NotFound


async def save_debrief(
    conn: Conn,
    *,
    student_id: UUID,
    summary: str,
    details: dict[str, Any] | None = None,
    session_id: str | None = None,
    conversation_id: UUID | None = None,
) -> tuple[Debrief, bool]:
    """Store a debrief; for a `session_id` that has one already, return it: (debrief, created).

    Workflow activities run at least once, so the second run of the same session is a no-op.
    """
    return await insert_or_get(
        conn,
        Debrief,
        "insert into debriefs (student_id, conversation_id, session_id, summary, details)"
        " values (%s, %s, %s, %s, %s) on conflict (session_id) do nothing returning *",
        (student_id, conversation_id, session_id, summary, Jsonb(details or {})),
        select="select * from debriefs where session_id = %s",
        select_params=(session_id,),
        vanished=NotFound(f"The debrief of session {session_id} vanished; retry"),
    )


async def get_debrief(conn: Conn, *, debrief_id: UUID) -> Debrief | None:
    return await fetch_one(conn, Debrief, "select * from debriefs where id = %s", (debrief_id,))


async def list_debriefs(conn: Conn, *, student_id: UUID, limit: int = 20) -> list[Debrief]:
    return await fetch_all(
        conn,
        Debrief,
        "select * from debriefs where student_id = %s order by created_at desc, id limit %s",
        (student_id, limit),
    )
