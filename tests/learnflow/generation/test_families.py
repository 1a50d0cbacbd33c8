"""Every generated exercise is consistent (its reference passes its tests, its starter fails
them), new (no variant the curriculum covers, no repeat in a batch) and complete."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest

from learnflow.curriculum import load_catalog
from learnflow.generation import FAMILIES, Draft, generate, parse_request
from learnflow.generation.request import GenerationRequest


def _run_tests(draft: Draft, code: str) -> list[str]:
    """Names of the draft's tests that fail against `code` (run in-process)."""
    module = types.ModuleType("solution")
    exec(compile(code, "solution.py", "exec"), module.__dict__)
    saved = sys.modules.get("solution")
    sys.modules["solution"] = module
    try:
        scope: dict[str, Any] = {}
        exec(compile(draft.tests, "test_solution.py", "exec"), scope)
        if "inspect" in scope:  # the module has no file to read its source from
            scope["inspect"] = types.SimpleNamespace(getsource=lambda _: code)
        failing = []
        for name, test in scope.items():
            if name.startswith("test_") and callable(test):
                try:
                    test()
                except Exception:  # any failure is a failing test here
                    failing.append(name)
        return failing
    finally:
        if saved is None:
            sys.modules.pop("solution", None)
        else:
            sys.modules["solution"] = saved


def _all_drafts() -> list[Draft]:
    drafts = []
    for family in FAMILIES:
        wanted = GenerationRequest(family.topic, "x", "easy", 100, "")
        drafts += generate(wanted, seed="test")
    return drafts


@pytest.mark.parametrize("draft", _all_drafts(), ids=lambda d: f"{d.family}-{d.variant}")
def test_reference_passes_and_starter_fails(draft: Draft) -> None:
    assert _run_tests(draft, draft.solution) == []
    assert _run_tests(draft, draft.starter) != []
    assert [next(iter(h)) for h in draft.hints] == ["nudge", "concept", "partial"]
    assert draft.solution.strip() not in draft.prompt


def test_no_variant_copies_an_exercise_of_the_curriculum() -> None:
    names = {
        line[4:].split("(")[0]
        for e in load_catalog().exercises
        for line in e.solution.splitlines()
        if line.startswith("def ")
    }
    assert not names & {d.solution.split("(")[0][4:] for d in _all_drafts()}


def test_a_batch_has_no_repeat_and_differs_between_requests() -> None:
    wanted = parse_request("Create easy exercises on list comprehensions")
    first = generate(wanted, seed="a")
    assert len({d.variant for d in first}) == len(first) == 3
    assert all(d.difficulty == "easy" for d in first)
    again = generate(wanted, seed="a", avoid={d.variant for d in first})
    assert not {d.variant for d in again} & {d.variant for d in first}
