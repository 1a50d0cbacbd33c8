"""Fixtures for the curriculum tests: a small valid curriculum that tests break on purpose."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

# --- a small valid curriculum on disk ----------------------------------------------------------

LESSON_BODY = """\
## Explanation

Text.

## Worked example

```python
## not a heading: inside a code fence
print(1)
```

## Common mistakes

Mistakes.
"""


def lesson_text(lesson_id: str, module_id: str, body: str = LESSON_BODY) -> str:
    front = {"id": lesson_id, "module": module_id, "title": lesson_id, "keywords": ["k"]}
    return "---\n" + yaml.safe_dump(front, sort_keys=False) + "---\n" + body


def exercise_data(exercise_id: str, module_id: str, lesson_id: str) -> dict[str, Any]:
    return {
        "id": exercise_id,
        "module": module_id,
        "lesson": lesson_id,
        "difficulty": "easy",
        "title": "Double it",
        "prompt": "Write `double(n)`.",
        "starter": "def double(n):\n    pass\n",
        "tests": textwrap.dedent(
            """\
            from solution import double

            def test_double():
                assert double(2) == 4
            """
        ),
        "solution": "def double(n):\n    return n * 2\n",
        "hints": [
            {"nudge": "What does doubling mean?"},
            {"concept": "Multiply by two."},
            {"partial": "def double(n):\n    return ...\n"},
        ],
    }


def quiz_data(module_id: str, lesson_id: str, questions: int = 8) -> dict[str, Any]:
    return {
        "id": f"{module_id}.quiz",
        "module": module_id,
        "questions": [
            {
                "id": f"{module_id}.q{number}",
                "lesson": lesson_id,
                "prompt": f"Question {number}?",
                "choices": ["a", "b", "c"],
                "answer": 1,
                "explanation": "Because.",
            }
            for number in range(1, questions + 1)
        ],
    }


class CurriculumTree:
    """A curriculum folder under tmp_path that tests build, then break on purpose."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def write_yaml(self, relative: str, data: Any) -> Path:
        return self.write(relative, yaml.safe_dump(data, sort_keys=False))

    def read_yaml(self, relative: str) -> Any:
        return yaml.safe_load((self.root / relative).read_text(encoding="utf-8"))

    def edit_yaml(self, relative: str, change: Callable[[Any], None]) -> Path:
        data = self.read_yaml(relative)
        change(data)
        return self.write_yaml(relative, data)

    def add_module(
        self, module_id: str, number: int, *, lessons: int = 3, exercises: int = 6
    ) -> None:
        lesson_ids = [f"{module_id}.lesson-{n}" for n in range(1, lessons + 1)]
        exercise_ids = [f"{module_id}.exercise-{n}" for n in range(1, exercises + 1)]
        self.write_yaml(
            f"{module_id}/module.yaml",
            {
                "id": module_id,
                "number": number,
                "title": module_id.title(),
                "summary": "A module.",
                "lessons": lesson_ids,
                "exercises": exercise_ids,
            },
        )
        for lesson_id in lesson_ids:
            self.write(f"{module_id}/lessons/{lesson_id}.md", lesson_text(lesson_id, module_id))
        for exercise_id in exercise_ids:
            self.write_yaml(
                f"{module_id}/exercises/{exercise_id}.yaml",
                exercise_data(exercise_id, module_id, lesson_ids[0]),
            )
        self.write_yaml(f"{module_id}/quiz.yaml", quiz_data(module_id, lesson_ids[0]))


@pytest.fixture
def tree(tmp_path: Path) -> CurriculumTree:
    """A valid two-module curriculum: `alpha` (3 lessons, 6 exercises, 8 questions) and `beta`."""
    curriculum = CurriculumTree(tmp_path / "content")
    curriculum.write_yaml("catalog.yaml", {"modules": ["alpha", "beta"]})
    curriculum.add_module("alpha", 1)
    curriculum.add_module("beta", 2)
    return curriculum
