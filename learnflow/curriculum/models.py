"""The curriculum's content types, one per file kind of docs/curriculum-format.md.

The models check shape (required fields, types, allowed values, no unknown keys); the rules that
relate several files or need the sandbox (ids, cross-references, hint ladders, quiz answer keys,
solutions passing and starters failing) are `learnflow.curriculum.check`'s job, so that one run
of the checker reports every problem at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, RootModel, model_validator

Difficulty = Literal["easy", "medium", "hard"]
HintLevel = Literal["nudge", "concept", "partial"]

DIFFICULTIES: tuple[Difficulty, ...] = ("easy", "medium", "hard")
HINT_LEVELS: tuple[HintLevel, ...] = ("nudge", "concept", "partial")


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


Text = Annotated[str, AfterValidator(_not_blank)]
"""A string with something in it. Kept verbatim: code keeps its indentation and newlines."""


class ContentModel(BaseModel):
    """Base of every curriculum model: immutable, unknown keys rejected (they are usually typos)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class SourcedModel(ContentModel):
    """A model read from one file; `source` is that file (set by the loader, never serialized)."""

    source: Path | None = Field(default=None, exclude=True, repr=False)


class Hint(ContentModel):
    """One rung of a hint ladder. In YAML: a one-key mapping such as `- nudge: text`."""

    level: HintLevel
    text: Text

    @model_validator(mode="before")
    @classmethod
    def _from_one_key_mapping(cls, data: Any) -> Any:
        if isinstance(data, dict) and set(data) != {"level", "text"}:
            if len(data) != 1:
                raise ValueError(
                    "each hint is one `level: text` pair, e.g. `- nudge: What is ...?`"
                )
            ((level, text),) = data.items()
            return {"level": level, "text": text}
        return data


class HintLadder(RootModel[tuple[Hint, ...]]):
    """The hints of an exercise, in the order the tutor gives them (nudge, concept, partial)."""

    model_config = ConfigDict(frozen=True)

    @property
    def rungs(self) -> tuple[Hint, ...]:
        return self.root

    @property
    def levels(self) -> tuple[HintLevel, ...]:
        return tuple(hint.level for hint in self.root)

    def rung(self, level: HintLevel) -> Hint | None:
        """The first hint of `level`, or None when the ladder has none."""
        return next((hint for hint in self.root if hint.level == level), None)


class Module(SourcedModel):
    """`<module-id>/module.yaml`: a module and the ids of its lessons and exercises, in order."""

    id: Text
    number: int = Field(ge=1)
    title: Text
    summary: Text
    topics: tuple[Text, ...] = ()
    lessons: tuple[Text, ...]
    exercises: tuple[Text, ...]


class Lesson(SourcedModel):
    """`<module-id>/lessons/<lesson-id>.md`: front matter plus the three markdown sections."""

    id: Text
    module: Text
    title: Text
    keywords: tuple[Text, ...] = ()
    explanation: Text
    worked_example: Text
    common_mistakes: Text

    @property
    def markdown(self) -> str:
        """The lesson body as markdown, with its three `##` sections."""
        return (
            f"## Explanation\n\n{self.explanation.strip()}\n\n"
            f"## Worked example\n\n{self.worked_example.strip()}\n\n"
            f"## Common mistakes\n\n{self.common_mistakes.strip()}\n"
        )


DEFAULT_TEST_TIMEOUT_S = 2.0
"""How long one test of an exercise may run, unless the exercise says otherwise."""
DEFAULT_RUN_TIMEOUT_S = 5.0
"""How long all the tests of an exercise together may run, unless the exercise says otherwise."""
MAX_TIMEOUT_S = 10.0
"""The code runner's upper bound for either limit (`LEARNFLOW_SANDBOX_MAX_WALL_S`)."""


class ExerciseLimits(ContentModel):
    """Time limits for grading one exercise; each result reports them, and a test stopped by one
    names it. An exercise whose reference solution needs more than half of a limit on the
    machine running `learnflow curriculum check` fails the check (its grade would be flaky)."""

    test_timeout_s: float = Field(default=DEFAULT_TEST_TIMEOUT_S, gt=0, le=MAX_TIMEOUT_S)
    run_timeout_s: float = Field(default=DEFAULT_RUN_TIMEOUT_S, gt=0, le=MAX_TIMEOUT_S)

    @model_validator(mode="after")
    def _test_fits_in_run(self) -> ExerciseLimits:
        if self.test_timeout_s > self.run_timeout_s:
            raise ValueError(
                f"test_timeout_s ({self.test_timeout_s:g}) must not be longer than "
                f"run_timeout_s ({self.run_timeout_s:g})"
            )
        return self


class Exercise(SourcedModel):
    """`<module-id>/exercises/<exercise-id>.yaml`: one exercise with hidden tests and hints."""

    id: Text
    module: Text
    lesson: Text
    difficulty: Difficulty
    title: Text
    prompt: Text
    starter: Text
    tests: Text
    solution: Text
    hints: HintLadder
    limits: ExerciseLimits = Field(default_factory=ExerciseLimits)


class QuizQuestion(ContentModel):
    """One multiple-choice question; `answer` is an index into `choices`."""

    id: Text
    lesson: Text
    prompt: Text
    choices: tuple[Text, ...]
    answer: int
    explanation: Text

    @property
    def correct_choice(self) -> str | None:
        """The choice `answer` points at, or None when the key is out of range."""
        return self.choices[self.answer] if 0 <= self.answer < len(self.choices) else None


class Quiz(SourcedModel):
    """`<module-id>/quiz.yaml`: the module quiz."""

    id: Text
    module: Text
    questions: tuple[QuizQuestion, ...]
