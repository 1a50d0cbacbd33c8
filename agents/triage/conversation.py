"""The conversation of one session id (its chat history, docs/glossary.md), kept in the Dapr
state store under `conversation:<session_id>`.

One key per session id holds its recent turns, so saving a turn is a single atomic write. A turn is
keyed by its message id: replaying a message id finds the stored turn instead of answering twice.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from learnflow.sidecar import Sidecar
from learnflow.state_update import Keep, Save, update_state

MAX_TURNS_KEPT = 50
ATTEMPTS = 5


class Turn(BaseModel):
    message_id: str
    message: str
    reply: str
    agent: str
    intent: str
    confidence: float
    sources: list[str] = Field(default_factory=list)
    quiz: dict[str, Any] | None = None  # a quiz view or answer outcome shown with the reply
    exercise_id: str | None = None  # the exercise the reply offers
    model: str | None = None  # who wrote the reply (`ChatReply.model`); None in older turns
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    @property
    def open_question(self) -> tuple[str, str, int] | None:
        """(quiz id, question id, number of choices) when this reply asked a quiz question."""
        quiz = self.quiz or {}
        question = quiz.get("question") or quiz.get("next_question")
        if not question or not quiz.get("quiz_id"):
            return None
        return quiz["quiz_id"], question["id"], len(question.get("choices") or [])


class Conversation(BaseModel):
    session_id: str
    user_id: str | None = None
    turns: list[Turn] = Field(default_factory=list)

    def find(self, message_id: str) -> Turn | None:
        return next((t for t in self.turns if t.message_id == message_id), None)


def state_key(session_id: str) -> str:
    return f"conversation:{session_id}"


async def load(sidecar: Sidecar, session_id: str) -> tuple[Conversation, str | None]:
    raw, etag = await sidecar.get_state_entry(state_key(session_id))
    return _parse(session_id, raw), etag


def _parse(session_id: str, raw: Any | None) -> Conversation:
    if raw is None:
        return Conversation(session_id=session_id)
    return Conversation.model_validate(raw)


async def append_turn(
    sidecar: Sidecar, session_id: str, turn: Turn, user_id: str | None = None
) -> Conversation:
    """Append `turn` (once: a turn whose message id is stored already is not added again)."""

    def decide(raw: Any | None) -> Save[Conversation] | Keep[Conversation]:
        conversation = _parse(session_id, raw)
        if conversation.find(turn.message_id) is not None:
            return Keep(conversation)
        turns = [*conversation.turns, turn][-MAX_TURNS_KEPT:]
        updated = conversation.model_copy(
            update={"turns": turns, "user_id": conversation.user_id or user_id}
        )
        return Save(updated.model_dump(mode="json"), updated)

    return await update_state(
        sidecar,
        state_key(session_id),
        decide,
        attempts=ATTEMPTS,
        contended=f"session {session_id} is being written by several requests at once; "
        "retry the message",
    )
