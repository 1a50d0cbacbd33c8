"""Contracts between apps over Dapr service invocation (events are in `learnflow.events`)."""

from __future__ import annotations

from typing import Literal

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
    exercise_id: str | None = Field(
        default=None,
        max_length=100,
        description='The exercise open in the learner\'s editor: "I\'m stuck", "hint" and '
        '"just tell me" act on it.',
    )


class SpecialistReply(BaseModel):
    reply: str
    sources: list[str] = Field(default_factory=list)
    follow_up: str | None = None
    model: str | None = Field(
        default=None,
        description='Who wrote the reply: "offline" (the offline tutor, built from the lessons), '
        "or the OpenAI-compatible endpoint's model; None for a reply no model wrote (a fixed "
        "message).",
    )


class StreamedReply(SpecialistReply):
    """The `done` event of a specialist's `POST /respond/stream` (`learnflow.sse`): the reply
    `POST /respond` answers, and how it was made."""

    agent: str = Field(description="The app that answered (concepts, tutor).")
    model: str = Field(description='"offline", or the OpenAI-compatible endpoint\'s model.')
    guardrail: Literal["passed", "blocked"] | None = Field(
        default=None,
        description="The output guardrail's verdict (agents that have one): `blocked` means the "
        "reply is the guardrail's replacement, never the model's text.",
    )


class SessionTally(BaseModel):
    """The running tally of a learning session (kept by the session workflow)."""

    attempts: int = 0
    runs: int = 0
    failed_runs: int = 0
    errors_by_type: dict[str, int] = Field(default_factory=dict)
    exercises_passed: list[str] = Field(default_factory=list)
    exercises_attempted: list[str] = Field(default_factory=list)
    hints_used: int = 0
    quiz_answers: int = 0
    quiz_correct: int = 0
    messages: int = 0
    time_on_task_s: float = 0.0


class SessionSummaryRequest(BaseModel):
    """Debrief's `POST /summaries/session`: summarise a finished session for the student."""

    session_id: str = Field(min_length=1, max_length=100)
    user_id: str | None = None
    mode: str = "practice"
    topic: str | None = None
    tally: SessionTally = Field(default_factory=SessionTally)


class SessionSummary(BaseModel):
    session_id: str
    summary: str
    practised: list[str] = Field(default_factory=list)
    mistakes: list[str] = Field(default_factory=list)
    next_steps: list[str] = Field(default_factory=list)
