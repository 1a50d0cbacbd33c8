"""Loading a curriculum folder: look-ups, order, caching, and error messages naming file and field.

Every test builds its own curriculum under tmp_path with the `tree` fixture (see conftest.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from learnflow.curriculum import CurriculumError, clear_catalog_cache, load_catalog, read_catalog
from learnflow.errors import NotFound

# --- a valid curriculum ------------------------------------------------------------------------


def test_loads_every_module_lesson_exercise_and_quiz(tree: Any) -> None:
    catalog = read_catalog(tree.root)
    assert catalog.module_ids == ("alpha", "beta")
    assert [m.id for m in catalog.modules] == ["alpha", "beta"]
    assert len(catalog.lessons) == 6
    assert len(catalog.exercises) == 12
    assert len(catalog.quiz_questions) == 16
    assert catalog.file_errors == ()


def test_look_ups_by_id(tree: Any) -> None:
    catalog = read_catalog(tree.root)
    assert catalog.module("beta").number == 2
    assert catalog.lesson("alpha.lesson-2").module == "alpha"
    assert catalog.exercise("beta.exercise-3").hints.levels == ("nudge", "concept", "partial")
    assert catalog.quiz("alpha").id == "alpha.quiz"


@pytest.mark.parametrize(
    ("look_up", "missing"),
    [("module", "gamma"), ("lesson", "alpha.nope"), ("exercise", "alpha.nope"), ("quiz", "zeta")],
)
def test_unknown_ids_raise_not_found_with_the_id(tree: Any, look_up: str, missing: str) -> None:
    catalog = read_catalog(tree.root)
    with pytest.raises(NotFound, match=missing):
        getattr(catalog, look_up)(missing)


def test_exercises_by_module_lesson_and_difficulty(tree: Any) -> None:
    tree.edit_yaml(
        "alpha/exercises/alpha.exercise-2.yaml",
        lambda data: data.update(difficulty="hard", lesson="alpha.lesson-2"),
    )
    catalog = read_catalog(tree.root)
    assert len(catalog.exercises_for("alpha")) == 6
    assert [e.id for e in catalog.exercises_for("alpha", difficulty="hard")] == ["alpha.exercise-2"]
    assert [e.id for e in catalog.exercises_for(lesson_id="alpha.lesson-2")] == ["alpha.exercise-2"]
    assert len(catalog.exercises_for(difficulty="easy")) == 11


def test_lessons_and_exercises_follow_module_yaml_order(tree: Any) -> None:
    tree.edit_yaml(
        "alpha/module.yaml", lambda data: data.update(lessons=list(reversed(data["lessons"])))
    )
    catalog = read_catalog(tree.root)
    assert [lesson.id for lesson in catalog.lessons_for("alpha")] == [
        "alpha.lesson-3",
        "alpha.lesson-2",
        "alpha.lesson-1",
    ]


def test_lesson_sections_are_split_and_code_fences_are_not_headings(tree: Any) -> None:
    lesson = read_catalog(tree.root).lesson("alpha.lesson-1")
    assert lesson.explanation == "Text."
    assert "## not a heading: inside a code fence" in lesson.worked_example
    assert lesson.common_mistakes == "Mistakes."


def test_source_files_are_recorded_but_not_serialized(tree: Any) -> None:
    exercise = read_catalog(tree.root).exercise("alpha.exercise-1")
    assert exercise.source == tree.root / "alpha/exercises/alpha.exercise-1.yaml"
    assert "source" not in exercise.model_dump()


def test_module_listed_without_a_folder_is_left_out_not_an_error(tree: Any) -> None:
    tree.write_yaml("catalog.yaml", {"modules": ["alpha", "beta", "gamma"]})
    catalog = read_catalog(tree.root)
    assert catalog.missing_modules == ("gamma",)


def test_load_catalog_is_cached_until_cleared(tree: Any) -> None:
    first = load_catalog(tree.root)
    assert load_catalog(tree.root) is first
    clear_catalog_cache()
    assert load_catalog(tree.root) is not first


# --- broken files: the error names the file and the field --------------------------------------


def load_error(tree: Any) -> CurriculumError:
    with pytest.raises(CurriculumError) as caught:
        read_catalog(tree.root)
    return caught.value


def test_missing_catalog_yaml(tree: Any) -> None:
    (tree.root / "catalog.yaml").unlink()
    error = load_error(tree)
    assert "catalog.yaml" in error.message
    assert "not found" in error.message


def test_yaml_syntax_error_gives_file_and_line(tree: Any) -> None:
    path = tree.write("alpha/quiz.yaml", "id: alpha.quiz\nmodule: [alpha\nquestions: []\n")
    error = load_error(tree)
    assert error.path == path
    assert "alpha/quiz.yaml" in error.message
    assert "line 3" in error.message
    assert "YAML syntax error" in error.message


def test_missing_required_field(tree: Any) -> None:
    tree.edit_yaml("alpha/exercises/alpha.exercise-1.yaml", lambda data: data.pop("solution"))
    error = load_error(tree)
    assert "alpha.exercise-1.yaml" in error.message
    assert "field 'solution': required field is missing" in error.message


def test_invalid_value_shows_what_was_found(tree: Any) -> None:
    tree.edit_yaml(
        "beta/exercises/beta.exercise-4.yaml", lambda data: data.update(difficulty="extreme")
    )
    error = load_error(tree)
    assert "beta.exercise-4.yaml" in error.message
    assert "field 'difficulty'" in error.message
    assert "'easy', 'medium' or 'hard'" in error.message
    assert "(got 'extreme')" in error.message


def test_misspelled_field_is_reported_as_unknown(tree: Any) -> None:
    def misspell(data: dict[str, Any]) -> None:
        data["hint"] = data.pop("hints")

    tree.edit_yaml("alpha/exercises/alpha.exercise-1.yaml", misspell)
    error = load_error(tree)
    assert "field 'hint': unknown field" in error.message
    assert "field 'hints': required field is missing" in error.message


def test_nested_field_path_in_a_quiz(tree: Any) -> None:
    tree.edit_yaml(
        "alpha/quiz.yaml", lambda data: data["questions"][2].update(answer="the second one")
    )
    error = load_error(tree)
    assert "field 'questions.2.answer'" in error.message


def test_nested_field_path_in_a_hint(tree: Any) -> None:
    tree.edit_yaml(
        "alpha/exercises/alpha.exercise-1.yaml",
        lambda data: data["hints"].__setitem__(2, {"solution": "all of it"}),
    )
    error = load_error(tree)
    assert "field 'hints.2.level'" in error.message


def test_yaml_booleans_in_a_text_list_get_a_quoting_tip(tree: Any) -> None:
    tree.write(
        "alpha/lessons/alpha.lesson-1.md",
        "---\nid: alpha.lesson-1\nmodule: alpha\ntitle: T\nkeywords: [if, yes, no]\n---\n"
        "## Explanation\nE\n## Worked example\nW\n## Common mistakes\nC\n",
    )
    error = load_error(tree)
    assert "field 'keywords.1'" in error.message
    assert "quote" in error.message


def test_file_with_a_list_instead_of_a_mapping(tree: Any) -> None:
    tree.write("alpha/module.yaml", "- alpha\n- beta\n")
    error = load_error(tree)
    assert "alpha/module.yaml" in error.message
    assert "expected a mapping" in error.message


# --- broken lessons ------------------------------------------------------------------------------


def test_lesson_without_front_matter(tree: Any) -> None:
    tree.write("alpha/lessons/alpha.lesson-2.md", "## Explanation\nNo front matter.\n")
    error = load_error(tree)
    assert "alpha.lesson-2.md" in error.message
    assert "front matter" in error.message


def test_lesson_with_unclosed_front_matter(tree: Any) -> None:
    tree.write("alpha/lessons/alpha.lesson-2.md", "---\nid: alpha.lesson-2\n## Explanation\n")
    assert "never closed" in load_error(tree).message


def test_lesson_missing_a_section(tree: Any) -> None:
    tree.write(
        "alpha/lessons/alpha.lesson-2.md",
        "---\nid: alpha.lesson-2\nmodule: alpha\ntitle: T\n---\n"
        "## Explanation\nE\n## Common mistakes\nC\n",
    )
    error = load_error(tree)
    assert "alpha.lesson-2.md" in error.message
    assert "missing section `## Worked example`" in error.message


def test_lesson_sections_out_of_order(tree: Any) -> None:
    tree.write(
        "alpha/lessons/alpha.lesson-2.md",
        "---\nid: alpha.lesson-2\nmodule: alpha\ntitle: T\n---\n"
        "## Worked example\nW\n## Explanation\nE\n## Common mistakes\nC\n",
    )
    assert "sections must come in this order" in load_error(tree).message


def test_lesson_with_an_unexpected_section_names_its_line(tree: Any) -> None:
    tree.write(
        "alpha/lessons/alpha.lesson-2.md",
        "---\nid: alpha.lesson-2\nmodule: alpha\ntitle: T\n---\n"
        "## Explanation\nE\n## Summary\nS\n## Worked example\nW\n## Common mistakes\nC\n",
    )
    message = load_error(tree).message
    assert "line 8: unexpected section `## Summary`" in message


def test_lesson_front_matter_yaml_error_gives_the_file_line(tree: Any) -> None:
    tree.write(
        "alpha/lessons/alpha.lesson-2.md",
        "---\nid: alpha.lesson-2\nmodule: alpha\ntitle: [unclosed\n---\n## Explanation\nE\n",
    )
    message = load_error(tree).message
    assert "alpha.lesson-2.md" in message
    assert "line 4" in message


def test_lesson_missing_a_front_matter_field(tree: Any) -> None:
    tree.write(
        "alpha/lessons/alpha.lesson-2.md",
        "---\nid: alpha.lesson-2\nmodule: alpha\n---\n"
        "## Explanation\nE\n## Worked example\nW\n## Common mistakes\nC\n",
    )
    assert "field 'title': required field is missing" in load_error(tree).message


# --- lenient reading -----------------------------------------------------------------------------


def test_lenient_read_skips_broken_files_and_records_why(tree: Any) -> None:
    tree.edit_yaml("alpha/exercises/alpha.exercise-1.yaml", lambda data: data.pop("tests"))
    tree.write("beta/quiz.yaml", "id: [\n")
    catalog = read_catalog(tree.root, strict=False)
    assert len(catalog.exercises) == 11
    assert [quiz.module for quiz in catalog.quizzes] == ["alpha"]
    broken = {error.path.name: error.problems for error in catalog.file_errors}
    assert set(broken) == {"alpha.exercise-1.yaml", "quiz.yaml"}
    assert broken["alpha.exercise-1.yaml"] == ("field 'tests': required field is missing",)


def test_lenient_read_still_needs_a_valid_catalog_yaml(tree: Any) -> None:
    tree.write("catalog.yaml", "modules: alpha, beta: gamma\n")
    with pytest.raises(CurriculumError, match=r"catalog\.yaml"):
        read_catalog(tree.root, strict=False)
