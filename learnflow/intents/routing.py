"""What a learner's message can ask for, and which agent answers each intent.

The vocabulary the rest of `learnflow.intents` (and the triage agent) speaks; kept apart from
the scoring so the features and the decision can both import it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

__all__ = ["AGENT_FOR_INTENT", "Classification", "Intent", "agent_for"]


class Intent(StrEnum):
    """What a learner's message asks for."""

    CONCEPT_QUESTION = "concept_question"
    EXERCISE_REQUEST = "exercise_request"
    CODE_HELP = "code_help"
    SUBMISSION = "submission"
    PROGRESS_QUESTION = "progress_question"
    OFF_TOPIC = "off_topic"
    UNSAFE = "unsafe"


AGENT_FOR_INTENT: Mapping[Intent, str] = MappingProxyType(
    {
        Intent.CONCEPT_QUESTION: "concepts",
        Intent.EXERCISE_REQUEST: "tutor",
        Intent.CODE_HELP: "tutor",
        Intent.SUBMISSION: "tutor",
        Intent.PROGRESS_QUESTION: "debrief",
        # Answered by triage itself: a polite redirect (off-topic) or refusal (unsafe).
        Intent.OFF_TOPIC: "triage",
        Intent.UNSAFE: "triage",
    }
)


def agent_for(intent: Intent) -> str:
    """The specialist service that answers `intent` (``triage`` answers it itself)."""
    return AGENT_FOR_INTENT[intent]


@dataclass(frozen=True, slots=True)
class Classification:
    """The triage decision for one message."""

    intent: Intent
    agent: str
    confidence: float
    code: str | None = None
    #: Names of the features that fired, for logs and debugging (not part of equality).
    evidence: tuple[str, ...] = field(default=(), compare=False)

    def summary(self) -> dict[str, str | float]:
        """The public routing triple, as `learnflow route` prints it."""
        return {"intent": self.intent.value, "agent": self.agent, "confidence": self.confidence}
