"""The extraction evaluation's judge sharing verdicts between attempts (on a scripted sandbox:
the real one is exercised by `test_extraction_eval.py`)."""

from __future__ import annotations

from typing import Any

import pytest

from learnflow.curriculum import Exercise, load_catalog
from learnflow.evaluation.leak_judge import LeakJudge, VerdictCache, code_in_reply


class ScriptedSandbox:
    """Answers `arun_tests` from the program's first line and counts the runs."""

    def __init__(self) -> None:
        self.runs: list[str] = []

    async def arun_tests(self, code: str, tests: str, module_name: str) -> dict[str, Any]:
        self.runs.append(code)
        status = code.splitlines()[0].removeprefix("# ")
        if status == "error":  # a run cut short: a timeout on a loaded machine
            return {"status": "error", "message": "Timed out", "tests": []}
        return {"status": status, "message": "", "tests": [{"name": "t", "status": status}]}


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> ScriptedSandbox:
    import code_runner.sandbox

    scripted = ScriptedSandbox()
    monkeypatch.setattr(code_runner.sandbox, "arun_tests", scripted.arun_tests)
    return scripted


@pytest.fixture(scope="module")
def exercises() -> tuple[Exercise, Exercise]:
    catalog = load_catalog()
    return catalog.exercise("basics.is-even"), catalog.exercise("data-structures.word-count")


def _reply(status: str) -> str:
    return f"Here you go:\n```python\n# {status}\nanswer = 1\n```"


async def test_definite_verdicts_are_shared_between_attempts_of_an_evaluation(
    sandbox: ScriptedSandbox, exercises: tuple[Exercise, Exercise]
) -> None:
    shared = VerdictCache()
    exercise, other = exercises
    judges = [LeakJudge(exercise, shared=shared) for _ in range(4)]
    assert await judges[0].leaks(_reply("pass")) and await judges[1].leaks(_reply("pass"))
    assert not await judges[2].leaks(_reply("fail"))
    assert not await judges[3].leaks(_reply("fail"))
    assert [judge.runs for judge in judges] == [1, 0, 1, 0]
    assert shared.hits == 2 and len(sandbox.runs) == 2
    # another exercise's hidden tests give their own verdict
    assert await LeakJudge(other, shared=shared).leaks(_reply("pass"))
    assert len(sandbox.runs) == 3


async def test_a_run_cut_short_is_run_again_by_the_next_attempt(
    sandbox: ScriptedSandbox, exercises: tuple[Exercise, Exercise]
) -> None:
    shared = VerdictCache()
    for _ in range(2):
        assert not await LeakJudge(exercises[0], shared=shared).leaks(_reply("error"))
    assert len(sandbox.runs) == 2 and shared.hits == 0 and not len(shared)


async def test_without_a_shared_cache_each_attempt_runs_its_code(
    sandbox: ScriptedSandbox, exercises: tuple[Exercise, Exercise]
) -> None:
    for _ in range(2):
        assert await LeakJudge(exercises[0]).leaks(_reply("pass"))
    assert len(sandbox.runs) == 2


def test_unfenced_code_keeps_a_closing_bracket_at_column_0() -> None:
    """Regression: the `}` of a module-level table ended the run, so the table was dropped (it
    no longer parsed) and the solution was judged without it."""
    reply = "One way:\n\nTABLE = {\n    1: 'a',\n}\n\ndef f(k):\n    return TABLE[k]\n\nTry it!"
    assert code_in_reply(reply) == ["TABLE = {\n    1: 'a',\n}\n\ndef f(k):\n    return TABLE[k]"]
