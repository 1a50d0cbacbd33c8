"""Recommendation matched to the level, topic resolution, and what a learner may see."""

from __future__ import annotations

import pytest

from learnflow.curriculum import Catalog
from learnflow.errors import NotFound
from tests.agents.tutor.sample_curriculum import SUM_EVENS
from tutor_agent.exercises import (
    find_exercise,
    parse_difficulty,
    public_view,
    recommend,
    resolve_topic,
)


@pytest.mark.parametrize(
    ("mastery", "level", "difficulties"),
    [
        (0, "Beginner", ["easy"]),
        (40, "Beginner", ["easy"]),
        (41, "Learning", ["easy", "medium"]),
        (70, "Learning", ["easy", "medium"]),
        (71, "Proficient", ["medium", "hard"]),
        (90, "Proficient", ["medium", "hard"]),
        (95, "Mastered", ["hard", "medium"]),
    ],
)
def test_difficulties_follow_the_mastery_level(
    catalog: Catalog, mastery: int, level: str, difficulties: list[str]
) -> None:
    found = recommend(catalog, topic="loops", mastery={"loops": mastery})
    assert found.to_dict()["level"] == level
    assert list(found.difficulties) == difficulties
    assert found.exercises[0].difficulty == difficulties[0]


def test_an_asked_difficulty_wins_over_the_level(catalog: Catalog) -> None:
    found = recommend(catalog, topic="loops", difficulty="hard", mastery={"loops": 5})
    assert found.exercises[0].id == "loops.primes" and not found.by_level


def test_done_exercises_come_last(catalog: Catalog) -> None:
    found = recommend(catalog, topic="loops", done={SUM_EVENS.id}, count=3)
    assert found.exercises[-1].id == SUM_EVENS.id


def test_without_a_topic_the_first_topic_not_mastered_is_chosen(catalog: Catalog) -> None:
    assert recommend(catalog).topic == "loops"
    assert recommend(catalog, mastery={"loops": 95}).topic == "lists"


def test_a_missing_difficulty_falls_back_to_the_closest_and_says_so(catalog: Catalog) -> None:
    found = recommend(catalog, topic="lists", difficulty="hard")
    assert found.exercises[0].difficulty == "medium"
    assert "no hard exercise" in found.note


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("loops", ("loops", None)),
        ("Lists and dictionaries", ("lists", None)),
        ("lists.sets", ("lists", "lists.sets")),
        ("dictionaries", ("lists", "lists.dictionaries")),
        ("while loops", ("loops", "loops.while-loops")),
        ("sets please", ("lists", "lists.sets")),
        ("photosynthesis", (None, None)),
        ("", (None, None)),
    ],
)
def test_topics_in_plain_words(
    catalog: Catalog, text: str, expected: tuple[str | None, str | None]
) -> None:
    assert resolve_topic(catalog, text) == expected


def test_an_unknown_topic_is_said_not_hidden(catalog: Catalog) -> None:
    found = recommend(catalog, topic="photosynthesis")
    assert "photosynthesis" in found.note and found.exercises


@pytest.mark.parametrize(
    ("text", "difficulty"),
    [
        ("an easier one", "easy"),
        ("something challenging", "hard"),
        ("medium", "medium"),
        ("hi", None),
    ],
)
def test_difficulty_words(text: str, difficulty: str | None) -> None:
    assert parse_difficulty(text) == difficulty


def test_the_public_view_never_holds_tests_solution_or_hints() -> None:
    view = public_view(SUM_EVENS)
    assert set(view) == {
        "id", "title", "topic", "lesson", "difficulty", "prompt", "starter", "hint_rungs",
    }  # fmt: skip
    text = str(view)
    assert SUM_EVENS.solution not in text and "assert" not in text


def test_an_unknown_id_is_a_clear_not_found(catalog: Catalog) -> None:
    with pytest.raises(NotFound, match="exercise ids look like"):
        find_exercise(catalog, "loops.nope")
