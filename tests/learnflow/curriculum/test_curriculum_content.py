"""The real curriculum in learnflow/curriculum/content: every module present passes the check,
running each solution and starter through the project's sandbox (`code_runner.sandbox`).
"""

from __future__ import annotations

import pytest

from learnflow.curriculum import DEFAULT_ROOT, check_catalog, load_catalog, read_catalog

MODULE_IDS = (
    "basics",
    "control-flow",
    "data-structures",
    "functions",
    "oop",
    "files",
    "errors",
    "libraries",
)
PRESENT = [m for m in MODULE_IDS if (DEFAULT_ROOT / m / "module.yaml").is_file()]


def test_catalog_lists_the_eight_modules_in_teaching_order() -> None:
    assert read_catalog(strict=False).module_ids == MODULE_IDS


def test_every_present_file_loads() -> None:
    catalog = read_catalog(strict=False)
    assert [str(error.path) for error in catalog.file_errors] == []
    assert load_catalog().modules  # the strict, cached load the services use


@pytest.mark.sandbox
@pytest.mark.parametrize("module_id", PRESENT)
def test_module_passes_the_check(module_id: str) -> None:
    from code_runner.sandbox import run_tests

    report = check_catalog(read_catalog(strict=False), run_tests, only=module_id)
    assert [str(problem) for problem in report.problems] == []
    assert report.solutions_passed == report.exercises
    assert report.starters_failed == report.exercises


@pytest.mark.parametrize("module_id", ["basics", "control-flow"])
def test_first_two_modules_are_complete(module_id: str) -> None:
    catalog = read_catalog(strict=False)
    exercises = catalog.exercises_for(module_id)
    assert len(catalog.lessons_for(module_id)) >= 3
    assert len(exercises) >= 6
    assert len(catalog.quiz(module_id).questions) >= 8
    assert {exercise.difficulty for exercise in exercises} == {"easy", "medium", "hard"}
    practised = {exercise.lesson for exercise in exercises}
    assert practised == {lesson.id for lesson in catalog.lessons_for(module_id)}


def test_concept_lesson_for_for_loops_is_findable() -> None:
    lesson = read_catalog(strict=False).lesson("control-flow.for-loops")
    assert "range" in lesson.keywords
    assert "for" in lesson.explanation
