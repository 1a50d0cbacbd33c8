"""A learner's chat history and editor drafts, kept server-side per user:

GET  /chat/history                   the latest conversation (its session id and turns)
GET  /drafts/{exercise_id}           the code left in the editor for that exercise
POST /drafts/{exercise_id}           {code} save it (the latest write wins)
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field, field_validator

from learnflow.api.deps import PoolDep
from learnflow.auth.deps import CurrentUser
from triage_agent import history
from triage_agent.models import ID_PATTERN

router = APIRouter(tags=["history"])
ExerciseId = Annotated[str, Path(pattern=ID_PATTERN)]


class Draft(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(max_length=history.MAX_DRAFT_CHARS)

    @field_validator("code")
    @classmethod
    def _no_nul(cls, value: str) -> str:
        if "\x00" in value:
            raise ValueError("the code contains a NUL character; remove it")
        return value


@router.get("/chat/history")
async def chat_history(user: CurrentUser, pool: PoolDep) -> Any:
    return await history.latest_history(pool, user.user_id)


@router.get("/drafts/{exercise_id}")
async def read_draft(exercise_id: ExerciseId, user: CurrentUser, pool: PoolDep) -> Any:
    return await history.read_draft(pool, user.user_id, exercise_id)


@router.post("/drafts/{exercise_id}")
async def save_draft(exercise_id: ExerciseId, body: Draft, user: CurrentUser, pool: PoolDep) -> Any:
    return await history.save_draft(pool, user.user_id, exercise_id, body.code)
