"""The error the curriculum loader raises: it always names the file and the field at fault."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from learnflow.errors import LearnFlowError


def display_path(path: Path) -> str:
    """`path` relative to the working directory when it lies below it, else absolute."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


class CurriculumError(LearnFlowError):
    """A curriculum file cannot be read or does not match docs/curriculum-format.md."""

    code = "curriculum_invalid"

    def __init__(self, path: Path, problems: Sequence[str]) -> None:
        self.path = path
        self.problems = tuple(problems)
        where = display_path(path)
        if len(self.problems) == 1:
            message = f"{where}: {self.problems[0]}"
        else:
            listed = "\n".join(f"  - {problem}" for problem in self.problems)
            message = f"{where}: {len(self.problems)} problems:\n{listed}"
        super().__init__(message, path=str(path), problems=list(self.problems))
