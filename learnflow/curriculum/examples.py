"""Lessons' worked examples, run: the first ```python block of `## Worked example` must run.

When the lesson shows the example's output (an `Output:` line followed by a code block), what the
program prints must be exactly that: stdout, or stderr then stdout for examples that log to
stderr. An output that shows a traceback means the example fails on purpose: then the program
must fail with that last line. The runner is injected like `RunTests` (in production the
sandbox's `run_python`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from learnflow.curriculum.models import Lesson

__all__ = ["RunPython", "WorkedExample", "example_problem", "worked_example"]

_FIRST_CODE = re.compile(r"```python[ \t]*\n(.*?)```", re.S)
_OUTPUT_AFTER = re.compile(r"\A\s*\n\s*Output:?[ \t]*\n\s*```[\w-]*[ \t]*\n(.*?)```", re.S)


class RunPython(Protocol):
    """`run_python(code)` returning `{status, exit_code, stdout, stderr, ...}`."""

    def __call__(self, code: str) -> Mapping[str, Any]: ...


@dataclass(frozen=True, slots=True)
class WorkedExample:
    code: str
    #: The output the lesson shows, or None when it shows none.
    output: str | None


def worked_example(lesson: Lesson) -> WorkedExample | None:
    """The lesson's worked example program and the output it shows (None without code)."""
    match = _FIRST_CODE.search(lesson.worked_example)
    if match is None:
        return None
    shown = _OUTPUT_AFTER.match(lesson.worked_example[match.end() :])
    return WorkedExample(match.group(1), shown.group(1) if shown else None)


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.strip("\n").splitlines()]


def example_problem(lesson: Lesson, run_python: RunPython) -> str | None:
    """What is wrong with the lesson's worked example when run, or None when it is right."""
    example = worked_example(lesson)
    if example is None:
        return None
    result = run_python(example.code)
    stdout, stderr = str(result.get("stdout", "")), str(result.get("stderr", ""))
    failed = result.get("status") != "ok" or result.get("exit_code") not in (0, None)
    if example.output is None:
        return None
    expected = _lines(example.output)
    if any(line.startswith("Traceback") for line in expected):
        if failed and _lines(stderr)[-1:] == expected[-1:]:
            return None
        return f"worked example: should fail with {expected[-1]!r}; got {stderr[-200:]!r}"
    if failed:
        return f"worked example does not run ({result.get('status')}): {stderr[-300:]!r}"
    if _lines(stdout) == expected or _lines(stderr + stdout) == expected:
        return None
    return (
        f"worked example prints something else than the lesson shows: expected "
        f"{expected[:6]!r}..., got {_lines(stdout)[:6]!r}..."
    )
