"""Request and response models of triage's public chat API."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from learnflow.errors import InvalidInput

ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,100}$"


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(description="What the learner typed (code may be pasted in it).")
    session_id: str | None = Field(
        default=None, pattern=ID_PATTERN, description="Omit to start a new session."
    )
    message_id: str | None = Field(
        default=None,
        pattern=ID_PATTERN,
        description="Client-chosen id; resending the same id returns the same reply (no repeat).",
    )
    exercise_id: str | None = Field(
        default=None,
        pattern=ID_PATTERN,
        description="The exercise open in the learner's editor: hints and help are about it.",
    )
    code: str | None = Field(
        default=None,
        max_length=64 * 1024,
        description="The editor's code, when the learner chose to send it with the message.",
    )

    @field_validator("message")
    @classmethod
    def _message_has_text(cls, value: str) -> str:
        # its length limit is the app's setting: checked by the route (`check_length`)
        if not value.strip():
            raise ValueError("the message is empty; type a question or paste some code")
        if "\x00" in value:
            raise ValueError("the message contains a NUL character; remove it")
        return value

    def check_length(self, limit: int) -> None:
        """`InvalidInput` (422, worded as the validation errors are) past `limit` characters
        (`settings.max_message_chars`)."""
        if len(self.message) > limit:
            raise InvalidInput(
                f"message: the message is {len(self.message)} characters; the limit is {limit} — "
                "send a shorter question or only the relevant part of your code"
            )


class ChatReply(BaseModel):
    reply: str
    routed_to: str
    session_id: str
    message_id: str
    intent: str
    confidence: float
    sources: list[str] = Field(default_factory=list)
    unavailable: list[str] = Field(
        default_factory=list,
        description="Apps that could not answer (down or restarting): the reply says so and is "
        "not remembered, so resending the same message id later gets the full answer.",
    )
    quiz: dict[str, Any] | None = Field(
        default=None,
        description="When the turn started or answered a quiz: the quiz's view or the answer's "
        "outcome (POST /quizzes, POST /quizzes/{id}/answers).",
    )
    exercise_id: str | None = Field(
        default=None, description="The exercise the reply offers (the page can open it)."
    )
    model: str | None = Field(
        default=None,
        description='Who wrote the reply: "offline" (the offline tutor, built from the lessons) '
        "or the model's name, as the specialist said (`SpecialistReply.model`); None for "
        "triage's own replies (off-topic, unsafe, quizzes, an app unavailable).",
    )
