"""The curriculum models: shapes, the hint ladder's YAML form, and helpers."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from learnflow.curriculum import HintLadder, Lesson, QuizQuestion


def test_hint_ladder_reads_one_key_mappings_in_order() -> None:
    ladder = HintLadder.model_validate(
        [{"nudge": "Why?"}, {"concept": "Because."}, {"partial": "x = ..."}]
    )
    assert ladder.levels == ("nudge", "concept", "partial")
    assert ladder.rung("concept") is not None
    assert ladder.rung("concept").text == "Because."  # type: ignore[union-attr]


def test_hint_with_two_keys_is_rejected_with_the_expected_form() -> None:
    with pytest.raises(ValidationError, match=r"one `level: text` pair"):
        HintLadder.model_validate([{"nudge": "a", "concept": "b"}])


def test_unknown_hint_level_is_rejected() -> None:
    with pytest.raises(ValidationError, match="'nudge', 'concept' or 'partial'"):
        HintLadder.model_validate([{"answer": "the whole thing"}])


def test_missing_rung_is_none() -> None:
    assert HintLadder.model_validate([{"nudge": "a"}]).rung("partial") is None


def test_quiz_question_correct_choice_and_out_of_range_key() -> None:
    question = QuizQuestion(
        id="m.q1", lesson="m.l", prompt="?", choices=("a", "b"), answer=1, explanation="."
    )
    assert question.correct_choice == "b"
    assert question.model_copy(update={"answer": 2}).correct_choice is None


def test_blank_text_is_rejected() -> None:
    with pytest.raises(ValidationError, match="must not be empty"):
        QuizQuestion(
            id="m.q1", lesson="m.l", prompt="  ", choices=("a", "b"), answer=0, explanation="."
        )


def test_lesson_markdown_has_the_three_sections_in_order() -> None:
    lesson = Lesson(
        id="m.l",
        module="m",
        title="L",
        explanation="E",
        worked_example="W",
        common_mistakes="C",
    )
    markdown = lesson.markdown
    assert (
        markdown.index("## Explanation")
        < markdown.index("## Worked example")
        < markdown.index("## Common mistakes")
    )


def test_models_are_immutable() -> None:
    question = QuizQuestion(
        id="m.q1", lesson="m.l", prompt="?", choices=("a", "b"), answer=0, explanation="."
    )
    with pytest.raises(ValidationError):
        question.answer = 1  # type: ignore[misc]
