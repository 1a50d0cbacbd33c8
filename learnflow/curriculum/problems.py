"""What the checker reports: one `Problem` per defect, gathered in a `CheckReport`."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, computed_field


class Problem(BaseModel):
    """One defect: `where` is a file (relative to the content root) or an id; `message` says what
    is wrong in words a content author can act on."""

    model_config = ConfigDict(frozen=True)

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class CheckReport(BaseModel):
    """The summary `learnflow curriculum check` prints as JSON."""

    modules: int
    lessons: int
    exercises: int
    quiz_questions: int
    solutions_passed: int
    starters_failed: int
    #: Lessons whose worked example was run (and, where the lesson shows it, its output compared).
    worked_examples_run: int = 0
    problems: list[Problem]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ok(self) -> bool:
        return not self.problems


def where(source: Path | None, root: Path, fallback: str) -> str:
    """A file as a path relative to the content root, or `fallback` (an id) when it has no file."""
    if source is None:
        return fallback
    try:
        return source.relative_to(root).as_posix()
    except ValueError:
        return str(source)
