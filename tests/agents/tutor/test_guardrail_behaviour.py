"""The guardrail's behavioural check: code in a reply that passes the hidden tests of an
exercise in play is blocked, whatever its shape.

The first tests use a scripted grader (fakes: they check which programs are run and what a
timeout does); the regression test at the end runs the real sandbox.
"""

from __future__ import annotations

import asyncio
import textwrap
from typing import Any

import pytest

from learnflow.curriculum import Exercise, load_catalog
from learnflow.errors import DependencyFailed
from learnflow.settings import Settings
from tutor_agent.context import TutorContext
from tutor_agent.grading import GradeResult, HiddenTest
from tutor_agent.guardrail import check_reply, check_reply_behaviour, leaks_solution
from tutor_agent.state import TutorState

COUNTER_WORD_COUNT = textwrap.dedent(
    """
    from collections import Counter

    def word_count(text):
        cleaned = (w.strip(".,!?;:").lower() for w in text.split())
        return dict(Counter(w for w in cleaned if w))
    """
).strip()


class ScriptedGrader:
    """Answers every grading with `status` (or raises / hangs), recording the code it got."""

    def __init__(self, status: str = "pass", *, error: bool = False, hang: bool = False) -> None:
        self.status, self.error, self.hang = status, error, hang
        self.programs: list[str] = []

    async def grade(self, exercise: Exercise, code: str, **_: Any) -> GradeResult:
        self.programs.append(code)
        if self.hang:
            await asyncio.sleep(60)
        if self.error:
            raise DependencyFailed("the code runner is down", dependency="code-runner")
        test = HiddenTest("basic", self.status, "")
        return GradeResult(exercise.id, self.status, (test,))


def context_on(exercise_id: str | None, grader: Any, **kwargs: Any) -> TutorContext:
    state = TutorState()
    if exercise_id is not None:
        state.start(exercise_id)
    return TutorContext(catalog=load_catalog(), state=state, grader=grader, **kwargs)


def reply_with(code: str) -> str:
    return f"Try this other way:\n\n```python\n{code}\n```\n"


WORD_COUNT = "data-structures.word-count"


async def test_passing_code_is_blocked_with_a_scripted_grader() -> None:
    grader = ScriptedGrader("pass")
    blocked = await check_reply_behaviour(
        context_on(WORD_COUNT, grader), reply_with(COUNTER_WORD_COUNT)
    )
    assert blocked is not None and blocked.exercise_id == WORD_COUNT
    assert "hidden tests" in blocked.report.reason
    assert [p.strip() for p in grader.programs] == [COUNTER_WORD_COUNT]


async def test_failing_code_passes_with_a_scripted_grader() -> None:
    grader = ScriptedGrader("fail")
    context = context_on(WORD_COUNT, grader)
    assert await check_reply_behaviour(context, reply_with(COUNTER_WORD_COUNT)) is None


async def test_nothing_runs_without_an_exercise_in_play_or_without_code() -> None:
    grader = ScriptedGrader("pass")
    assert (
        await check_reply_behaviour(context_on(None, grader), reply_with(COUNTER_WORD_COUNT))
        is None
    )
    assert (
        await check_reply_behaviour(context_on(WORD_COUNT, grader), "Think about a dict.") is None
    )
    assert grader.programs == []


async def test_code_that_cannot_import_the_tested_names_is_not_run() -> None:
    grader = ScriptedGrader("pass")
    example = "counts = {}\ncounts['a'] = counts.get('a', 0) + 1\nprint(counts)"
    assert await check_reply_behaviour(context_on(WORD_COUNT, grader), reply_with(example)) is None
    assert grader.programs == []
    # ...unless it may build the name dynamically
    sneaky = 'exec("def word" + "_count(t): return {}")'
    assert (
        await check_reply_behaviour(context_on(WORD_COUNT, grader), reply_with(sneaky)) is not None
    )


async def test_the_learners_own_code_echoed_back_is_not_run() -> None:
    grader = ScriptedGrader("pass")
    context = context_on(WORD_COUNT, grader, learner_code=COUNTER_WORD_COUNT)
    assert await check_reply_behaviour(context, reply_with(COUNTER_WORD_COUNT)) is None
    assert grader.programs == []


async def test_parts_across_turns_are_run_together() -> None:
    grader = ScriptedGrader("fail")
    context = context_on(WORD_COUNT, grader)
    first, second = COUNTER_WORD_COUNT.split("\n\n", 1)
    context.state.remember_shown_code([first])
    await check_reply_behaviour(context, reply_with(second))
    assert f"{first}\n\n{second}" in [p.strip() for p in grader.programs]


async def test_unjudged_code_fails_closed_on_timeout_and_on_errors() -> None:
    hanging = ScriptedGrader(hang=True)
    context = context_on(WORD_COUNT, hanging, leak_check_timeout_s=0.05)
    blocked = await check_reply_behaviour(context, reply_with(COUNTER_WORD_COUNT))
    assert blocked is not None and "in time" in blocked.report.reason
    broken = ScriptedGrader(error=True)
    blocked = await check_reply_behaviour(
        context_on(WORD_COUNT, broken), reply_with(COUNTER_WORD_COUNT)
    )
    assert blocked is not None and "could not be checked" in blocked.report.reason


class SandboxGrader:
    """Grades in the real sandbox, the way the code runner's `tests` method does."""

    async def grade(self, exercise: Exercise, code: str, **_: Any) -> GradeResult:
        from code_runner.sandbox import arun_tests
        from tutor_agent.grading import read_runner_result

        return read_runner_result(exercise.id, await arun_tests(code, exercise.tests))


@pytest.mark.sandbox
async def test_regression_a_different_correct_solution_is_blocked_in_the_real_sandbox() -> None:
    """The old guardrail (token similarity only) let a correct solution with another algorithm
    through; run against the hidden tests, it is caught."""
    from code_runner.sandbox import get_runner

    await asyncio.to_thread(get_runner)  # the code runner is a warm service in the mesh
    # a generous limit: this test is about the verdict (latency is measured by the benchmark)
    context = context_on(WORD_COUNT, SandboxGrader(), leak_check_timeout_s=30)
    exercise = context.catalog.exercise(WORD_COUNT)
    reply = reply_with(COUNTER_WORD_COUNT)
    assert not leaks_solution(reply, exercise)  # the similarity-only check misses it
    assert check_reply(context, reply) is None  # and so did the old guardrail
    blocked = await check_reply_behaviour(context, reply)
    assert blocked is not None and blocked.exercise_id == WORD_COUNT
    assert blocked.report.reason == "the reply's code passes the exercise's hidden tests"
    # the same shape with a bug passes the tests no more, and is let through
    wrong = COUNTER_WORD_COUNT.replace(".lower()", "")
    assert await check_reply_behaviour(context, reply_with(wrong)) is None


EVENS_ONLY = "data-structures.evens-only"
IS_EVEN = "basics.is-even"


def presenting(exercise: Exercise) -> str:
    """The offline tutor's shape when it presents an exercise: the prompt, then the starter."""
    return f"{exercise.prompt}\n\nStart from this:\n\n```python\n{exercise.starter}```\n"


async def test_regression_presenting_evens_only_is_not_blocked_as_a_leak_of_is_even() -> None:
    """Found by the extraction evaluation's alternative attempts: the prompt of evens-only
    (starter plus the inline `n % 2 == 0`) covers 92% of is-even's tiny solution, so similarity
    alone blocked it. is-even is not in play: its hidden tests decide, and nothing in the reply
    can pass them (no `is_even` is defined), so the grader is not even asked."""
    grader = ScriptedGrader("pass")
    context = context_on(EVENS_ONLY, grader)
    reply = presenting(context.catalog.exercise(EVENS_ONLY))
    flagged = check_reply(context, reply)
    assert flagged is not None and flagged.exercise_id == IS_EVEN  # similarity's false block
    assert await check_reply_behaviour(context_on(EVENS_ONLY, grader), reply) is None
    assert grader.programs == []


async def test_a_similarity_verdict_off_play_is_confirmed_by_the_tests() -> None:
    """An exercise not in play: similarity flags it, the scripted grader decides."""
    solution = "def is_even(n):\n    return n % 2 == 0\n"
    failing = ScriptedGrader("fail")
    context = context_on(EVENS_ONLY, failing)
    assert await check_reply_behaviour(context, reply_with(solution)) is None
    # run for is-even's confirmation (then for evens-only, in play, whose tests `import solution`)
    assert failing.programs and failing.programs[0].strip() == solution.strip()
    passing = ScriptedGrader("pass")
    blocked = await check_reply_behaviour(context_on(EVENS_ONLY, passing), reply_with(solution))
    assert blocked is not None and blocked.exercise_id == IS_EVEN
    assert "hidden tests" in blocked.report.reason
    # in play, similarity blocks at once; without a sandbox, it blocks too (fails closed)
    in_play = ScriptedGrader("fail")
    assert await check_reply_behaviour(context_on(IS_EVEN, in_play), reply_with(solution))
    assert in_play.programs == []
    assert await check_reply_behaviour(context_on(EVENS_ONLY, None), reply_with(solution))


@pytest.mark.sandbox
async def test_regression_the_offline_tutor_presents_evens_only_in_the_real_sandbox() -> None:
    """End to end: the offline tutor asked for evens-only presents it (no refusal naming
    is-even), and is-even's real solution shown there is still blocked."""
    from code_runner.sandbox import get_runner
    from learnflow.cli.commands.ask import ask

    await asyncio.to_thread(get_runner)
    offline = Settings(llm_base_url=None)
    result = await ask("I'd like to do the exercise data-structures.evens-only", settings=offline)
    assert result["agent"] == "tutor"
    assert "won't write out the solution" not in result["reply"]
    assert "n for n in numbers" not in result["reply"]
    context = context_on(EVENS_ONLY, SandboxGrader(), leak_check_timeout_s=30)
    blocked = await check_reply_behaviour(
        context, reply_with("def is_even(n):\n    return n % 2 == 0\n")
    )
    assert blocked is not None and blocked.exercise_id == IS_EVEN
