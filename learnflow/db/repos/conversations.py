"""Tutoring conversations and their messages."""

from __future__ import annotations

from uuid import UUID

from learnflow.db.models import Conversation, Message, Sender
from learnflow.db.pool import Conn
from learnflow.db.repos._rows import fetch_all, fetch_one, insert_or_get
from learnflow.errors import NotFound


async def create_conversation(
    conn: Conn,
    *,
    student_id: UUID,
    topic: str | None = None,
    title: str = "",
    session_id: str | None = None,
) -> Conversation:
    """A new conversation; with a `session_id`, the session's existing one if it has one."""
    conversation, _ = await insert_or_get(
        conn,
        Conversation,
        "insert into conversations (student_id, topic, title, session_id)"
        " values (%s, %s, %s, %s) on conflict (session_id) do nothing returning *",
        (student_id, topic, title, session_id),
        select="select * from conversations where session_id = %s",
        select_params=(session_id,),
        vanished=NotFound(f"The conversation of session {session_id} vanished; retry"),
    )
    return conversation


async def get_conversation(conn: Conn, *, conversation_id: UUID) -> Conversation | None:
    return await fetch_one(
        conn, Conversation, "select * from conversations where id = %s", (conversation_id,)
    )


async def list_conversations(
    conn: Conn, *, student_id: UUID, limit: int = 20
) -> list[Conversation]:
    return await fetch_all(
        conn,
        Conversation,
        "select * from conversations where student_id = %s order by updated_at desc limit %s",
        (student_id, limit),
    )


async def add_message(
    conn: Conn,
    *,
    conversation_id: UUID,
    sender: Sender,
    content: str,
    agent: str | None = None,
    event_id: str | None = None,
) -> Message:
    """Append a message. With an `event_id`, a replayed event returns the stored message."""
    message, created = await insert_or_get(
        conn,
        Message,
        "insert into messages (conversation_id, sender, agent, content, event_id)"
        " values (%s, %s, %s, %s, %s) on conflict (event_id) do nothing returning *",
        (conversation_id, Sender(sender).value, agent, content, event_id),
        select="select * from messages where event_id = %s",
        select_params=(event_id,),
        vanished=NotFound(f"The message of event {event_id} vanished; retry"),
    )
    if created:
        await conn.execute(
            "update conversations set updated_at = greatest(updated_at, %s) where id = %s",
            (message.created_at, conversation_id),
        )
    return message


async def list_messages(conn: Conn, *, conversation_id: UUID, limit: int = 200) -> list[Message]:
    """The latest `limit` messages, oldest first."""
    return await fetch_all(
        conn,
        Message,
        "select * from (select * from messages where conversation_id = %s"
        " order by created_at desc, id desc limit %s) m order by created_at, id",
        (conversation_id, limit),
    )
