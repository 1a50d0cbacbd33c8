"""The differential corpus: programs with their tests, each to be graded like plain CPython would.

Two sources:

- every exercise of the curriculum, twice: its reference solution and its starter (which fails
  its tests, so failures and errors are compared too, not only passes);
- the `.case` files next to this module, written to stress the harness (recursion to the limit,
  generators, classes with `__eq__`, floating point, large outputs, Unicode, input(), files,
  exceptions, subTest, parametrisation, fixtures, ...).

A `.case` file holds sections, each starting with a line `### <name>`:

    ### solution.py          the learner's code
    ### test_solution.py     the tests
    ### limits               optional `test_timeout_s: 1` / `run_timeout_s: 4` for this program
    ### expect               optional `<test name>: <limit>` lines: tests a sandbox limit stops
                             (plain CPython has none); the sandbox's result must name that limit
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

CORPUS_DIR = Path(__file__).parent / "corpus"
_SECTION = re.compile(r"^### (\S+)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Program:
    id: str
    solution: str
    tests: str
    test_timeout_s: float | None = None
    run_timeout_s: float | None = None
    expected_limits: dict[str, str] = field(default_factory=dict)

    @property
    def runner(self) -> str:
        """The runner the tests are written for: unittest when they are unittest classes only."""
        pytest_style = re.search(
            r"^(def test|class Test|import pytest|from pytest)", self.tests, re.MULTILINE
        )
        return "pytest" if pytest_style else "unittest"


def _pairs(text: str) -> dict[str, str]:
    pairs = {}
    for line in text.strip().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition(":")
            pairs[key.strip()] = value.strip()
    return pairs


def parse_case(path: Path) -> Program:
    text = path.read_text(encoding="utf-8")
    sections: dict[str, str] = {}
    matches = list(_SECTION.finditer(text))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        sections[match.group(1)] = text[match.end() + 1 : end]
    missing = {"solution.py", "test_solution.py"} - set(sections)
    if missing:
        raise ValueError(f"{path.name}: missing section(s) {', '.join(sorted(missing))}")
    limits = _pairs(sections.get("limits", ""))
    return Program(
        id=path.stem,
        solution=sections["solution.py"],
        tests=sections["test_solution.py"],
        test_timeout_s=float(limits["test_timeout_s"]) if "test_timeout_s" in limits else None,
        run_timeout_s=float(limits["run_timeout_s"]) if "run_timeout_s" in limits else None,
        expected_limits=_pairs(sections.get("expect", "")),
    )


def stress_programs() -> list[Program]:
    return [parse_case(path) for path in sorted(CORPUS_DIR.glob("*.case"))]


def curriculum_programs() -> list[Program]:
    from learnflow.curriculum import load_catalog

    programs = []
    for exercise in load_catalog().exercises:
        limits = exercise.limits
        for kind, code in (("solution", exercise.solution), ("starter", exercise.starter)):
            programs.append(
                Program(
                    id=f"{exercise.id}:{kind}",
                    solution=code,
                    tests=exercise.tests,
                    test_timeout_s=limits.test_timeout_s,
                    run_timeout_s=limits.run_timeout_s,
                )
            )
    return programs


def all_programs() -> list[Program]:
    return curriculum_programs() + stress_programs()
