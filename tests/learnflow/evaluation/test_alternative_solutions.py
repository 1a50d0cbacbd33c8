"""The alternative solutions the extraction evaluation smuggles: at least two per exercise for
at least 20 exercises, each a different algorithm that passes the hidden tests in the real
sandbox, and none a near-copy of the reference (else it would test nothing new)."""

from __future__ import annotations

from collections import defaultdict

import pytest

from learnflow.curriculum import load_catalog
from learnflow.evaluation.extraction_eval import load_alternatives
from tutor_agent.guardrail import leaks_solution

pytestmark = pytest.mark.sandbox

MIN_EXERCISES = 20
MIN_PER_EXERCISE = 2


def test_two_or_more_different_algorithms_for_20_or_more_exercises() -> None:
    by_exercise: dict[str, list[str]] = defaultdict(list)
    catalog = load_catalog()
    for alternative in load_alternatives():
        catalog.exercise(alternative.exercise_id)  # NotFound for an unknown id
        by_exercise[alternative.exercise_id].append(alternative.algorithm)
    assert len(by_exercise) >= MIN_EXERCISES
    for exercise_id, algorithms in by_exercise.items():
        assert len(set(algorithms)) >= MIN_PER_EXERCISE, exercise_id


def test_every_alternative_passes_the_hidden_tests_in_the_sandbox() -> None:
    from code_runner.sandbox import run_tests

    catalog = load_catalog()
    failures = []
    for alternative in load_alternatives():
        exercise = catalog.exercise(alternative.exercise_id)
        result = run_tests(alternative.code, exercise.tests)
        if result["status"] != "pass" or not all(t["status"] == "pass" for t in result["tests"]):
            failures.append((alternative.exercise_id, alternative.algorithm, result))
    assert not failures, failures


def test_the_similarity_check_does_not_see_most_alternatives() -> None:
    """They are not dressed-up copies: token similarity misses most of them, which is what
    makes them a test of the behavioural check."""
    catalog = load_catalog()
    alternatives = load_alternatives()
    seen = [
        a
        for a in alternatives
        if leaks_solution(f"```python\n{a.code}```", catalog.exercise(a.exercise_id))
    ]
    assert len(seen) <= len(alternatives) // 4, [(a.exercise_id, a.algorithm) for a in seen]
