"""Each user's chat history and editor drafts, in PostgreSQL (tables `conversations`, `messages`,
`code_drafts`), so a reload — or another device — shows the same conversation and code.

The state store keeps a session id's recent turns for answering (`conversation`); this is the
user's record. Writing a turn is idempotent: each message is keyed by its message id.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from learnflow.db.models import Sender
from learnflow.db.pool import Pool
from learnflow.db.repos.conversations import add_message, create_conversation
from triage_agent.conversation import Turn

MAX_DRAFT_CHARS = 64 * 1024


async def record_turn(pool: Pool | None, user_id: UUID, session_id: str, turn: Turn) -> None:
    if pool is None:
        return
    meta = {
        "message_id": turn.message_id,
        "intent": turn.intent,
        "confidence": turn.confidence,
        "sources": turn.sources,
        "quiz": turn.quiz,
        "exercise_id": turn.exercise_id,
        "model": turn.model,
    }
    async with pool.connection() as conn, conn.transaction():
        found = await create_conversation(conn, student_id=user_id, session_id=session_id)
        await add_message(
            conn,
            conversation_id=found.id,
            sender=Sender.STUDENT,
            content=turn.message,
            event_id=f"chat:{session_id}:{turn.message_id}:asked",
        )
        answer = await add_message(
            conn,
            conversation_id=found.id,
            sender=Sender.AGENT,
            agent=turn.agent,
            content=turn.reply,
            event_id=f"chat:{session_id}:{turn.message_id}:answered",
        )
        await conn.execute("update messages set meta = %s where id = %s", (Jsonb(meta), answer.id))


async def latest_history(pool: Pool, user_id: UUID, limit: int = 50) -> dict[str, Any]:
    """The user's most recent conversation as turns (oldest first)."""
    async with pool.connection() as conn:
        cur = await conn.execute(
            "select id, session_id from conversations where student_id = %s"
            " order by updated_at desc limit 1",
            (user_id,),
        )
        row = await cur.fetchone()
        if row is None:
            return {"session_id": None, "turns": []}
        cur = await conn.execute(
            "select sender, agent, content, meta, created_at from (select * from messages"
            " where conversation_id = %s order by created_at desc, id desc limit %s) m"
            " order by created_at, id",
            (row[0], 2 * limit),
        )
        messages = await cur.fetchall()
    turns: list[dict[str, Any]] = []
    asked: str | None = None
    for sender, agent, content, meta, at in messages:
        if sender == Sender.STUDENT.value:
            asked = content
            continue
        if asked is None:
            continue
        turns.append(
            {
                "message": asked,
                "at": at.isoformat(),
                "reply": {
                    "reply": content,
                    "routed_to": agent or "triage",
                    "session_id": row[1],
                    "message_id": meta.get("message_id", ""),
                    "intent": meta.get("intent", ""),
                    "confidence": meta.get("confidence", 0),
                    "sources": meta.get("sources") or [],
                    "quiz": meta.get("quiz"),
                    "exercise_id": meta.get("exercise_id"),
                    "model": meta.get("model"),
                },
            }
        )
        asked = None
    return {"session_id": row[1], "turns": turns}


async def read_draft(pool: Pool, user_id: UUID, exercise_id: str) -> dict[str, Any]:
    async with pool.connection() as conn:
        cur = await conn.execute(
            "select code, updated_at from code_drafts where user_id = %s and exercise_id = %s",
            (user_id, exercise_id),
        )
        row = await cur.fetchone()
    if row is None:
        return {"exercise_id": exercise_id, "code": None, "updated_at": None}
    return {"exercise_id": exercise_id, "code": row[0], "updated_at": row[1].isoformat()}


async def save_draft(pool: Pool, user_id: UUID, exercise_id: str, code: str) -> dict[str, Any]:
    async with pool.connection() as conn:
        cur = await conn.execute(
            "insert into code_drafts (user_id, exercise_id, code) values (%s, %s, %s)"
            " on conflict (user_id, exercise_id) do update set code = excluded.code,"
            " updated_at = now() returning updated_at",
            (user_id, exercise_id, code),
        )
        row = await cur.fetchone()
    assert row is not None
    return {"exercise_id": exercise_id, "code": code, "updated_at": row[0].isoformat()}
