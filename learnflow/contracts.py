"""Contracts between apps over Dapr service invocation (events are in `learnflow.events`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SpecialistRequest(BaseModel):
    """What triage sends a specialist agent (concepts, tutor, debrief) at `POST /respond`."""

    model_config = ConfigDict(extra="ignore")

    message: str = Field(min_length=1, max_length=20000)
    session_id: str = Field(min_length=1, max_length=100)
    message_id: str = Field(min_length=1, max_length=100)
    intent: str
    code: str | None = Field(default=None, max_length=65536)
    user_id: str | None = None


class SpecialistReply(BaseModel):
    reply: str
    sources: list[str] = Field(default_factory=list)
    follow_up: str | None = None
