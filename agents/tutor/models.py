"""Request and reply bodies of the tutor's routes."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from learnflow.contracts import SpecialistRequest
from learnflow.curriculum import Difficulty, Exercise

__all__ = [
    "MAX_CODE_CHARS",
    "ExercisePublic",
    "GradeReply",
    "GradeRequest",
    "HiddenTestResult",
    "RecommendReply",
    "RecommendRequest",
    "TutorRequest",
]

#: The most code one submission may hold (characters).
MAX_CODE_CHARS = 50_000

Mastery = dict[Annotated[str, Field(max_length=100)], Annotated[float, Field(ge=0, le=100)]]


class TutorRequest(SpecialistRequest):
    """What triage sends to `POST /respond`, plus the learner's mastery when the caller has it."""

    mastery: Mastery | None = Field(
        default=None, description="Mastery 0-100 by topic (module id), to match exercises."
    )


class ExercisePublic(BaseModel):
    """An exercise as a learner sees it: never its tests, solution or hints."""

    id: str
    title: str
    topic: str
    lesson: str
    difficulty: Difficulty
    prompt: str
    starter: str
    hint_rungs: int


class RecommendRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topic: str | None = Field(
        default=None,
        max_length=200,
        description='A module id, lesson id or words ("list comprehensions"); default: the '
        "first topic not yet mastered.",
    )
    difficulty: Difficulty | None = Field(
        default=None, description="Overrides the difficulty matched to the mastery level."
    )
    mastery: Mastery = Field(default_factory=dict)
    session_id: str | None = Field(
        default=None,
        max_length=100,
        description="Exercises this session already passed (or is on) come last.",
    )
    count: int = Field(default=3, ge=1, le=20)


class RecommendReply(BaseModel):
    topic: str
    lesson: str | None
    level: str
    difficulties: list[Difficulty]
    note: str
    exercises: list[ExercisePublic]


class CustomExerciseIn(BaseModel):
    """A teacher's exercise (not in the curriculum files), sent by triage from its database."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=200)
    topic: str = Field(min_length=1, max_length=100)
    difficulty: Difficulty
    title: str = Field(min_length=1, max_length=200)
    prompt: str = Field(min_length=1)
    starter: str = ""
    tests: str = Field(min_length=1)
    solution: str = Field(min_length=1)
    hints: list[dict[str, str]] = Field(default_factory=list)

    def as_exercise(self) -> Exercise:
        hints = self.hints or [{"nudge": "Read the prompt again: what must the function return?"}]
        return Exercise(
            id=self.id,
            module=self.topic,
            lesson=f"{self.topic}.custom",
            difficulty=self.difficulty,
            title=self.title,
            prompt=self.prompt,
            starter=self.starter or "# write your code here\n",
            tests=self.tests,
            solution=self.solution,
            hints=hints,  # validated into a HintLadder
        )


class GradeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    exercise_id: str = Field(min_length=1, max_length=200)
    exercise: CustomExerciseIn | None = Field(
        default=None, description="A teacher's exercise (triage sends it; not in the files)."
    )
    code: str = Field(description=f"The learner's code (at most {MAX_CODE_CHARS} characters).")
    session_id: str | None = Field(default=None, min_length=1, max_length=100)
    user_id: str | None = Field(default=None, min_length=1, max_length=100)
    submission_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="Idempotency key: the same id grades and publishes once. Default: derived "
        "from the session (or user), the exercise and the code.",
    )


class HiddenTestResult(BaseModel):
    name: str
    status: str
    explanation: str


class GradeReply(BaseModel):
    submission_id: str
    event_id: str
    exercise_id: str
    status: str
    passed: bool
    tests_passed: int
    tests_total: int
    summary: str
    explanation: str
    tests: list[HiddenTestResult]
    review: dict[str, Any]
