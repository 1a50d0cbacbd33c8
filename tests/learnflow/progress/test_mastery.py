"""Mastery rules: every weight, every component, every level boundary (table-driven)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from learnflow.progress.mastery import (
    Components,
    ExerciseResult,
    Level,
    MasteryInputs,
    QuizResult,
    code_quality_component,
    compute_mastery,
    consistency_component,
    exercise_component,
    level_for,
    mastery_score,
    quiz_component,
    round_half_up,
    streak_days,
)

TODAY = date(2026, 3, 2)


def days_ago(*offsets: int) -> frozenset[date]:
    return frozenset(TODAY - timedelta(days=n) for n in offsets)


# --- weights ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("components", "mastery"),
    [
        pytest.param(Components(), 0, id="nothing"),
        pytest.param(Components(exercises=100), 40, id="exercises-weigh-40"),
        pytest.param(Components(quizzes=100), 30, id="quizzes-weigh-30"),
        pytest.param(Components(code_quality=100), 20, id="code-quality-weighs-20"),
        pytest.param(Components(consistency=100), 10, id="consistency-weighs-10"),
        pytest.param(Components(100, 100, 100, 100), 100, id="everything"),
        pytest.param(Components(50, 80, 60, 100), 66, id="mixed-20+24+12+10"),
        pytest.param(Components(exercises=1.25), 1, id="0.5-rounds-half-up"),
        pytest.param(Components(exercises=1.24), 0, id="0.496-rounds-down"),
        pytest.param(Components(100, consistency=5), 41, id="40.5-is-41"),
        pytest.param(Components(100, consistency=4.9), 40, id="40.49-is-40"),
        pytest.param(Components(exercises=150, quizzes=-20), 40, id="components-clamped-0-100"),
    ],
)
def test_mastery_weights(components: Components, mastery: int) -> None:
    assert mastery_score(components) == mastery


# --- levels -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "level"),
    [
        (0, Level.BEGINNER),
        (40, Level.BEGINNER),
        (40.49, Level.BEGINNER),
        (40.5, Level.LEARNING),
        (41, Level.LEARNING),
        (70, Level.LEARNING),
        (70.49, Level.LEARNING),
        (70.5, Level.PROFICIENT),
        (71, Level.PROFICIENT),
        (90, Level.PROFICIENT),
        (90.49, Level.PROFICIENT),
        (90.5, Level.MASTERED),
        (91, Level.MASTERED),
        (100, Level.MASTERED),
        (100.49, Level.MASTERED),
    ],
)
def test_level_boundaries(score: float, level: Level) -> None:
    assert level_for(score) is level


@pytest.mark.parametrize("score", [-0.51, -1, 100.5, 101])
def test_scores_outside_0_to_100_have_no_level(score: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 100"):
        level_for(score)


def test_level_labels() -> None:
    assert [level.label for level in Level] == ["Beginner", "Learning", "Proficient", "Mastered"]


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [(0.5, 0, "1"), (1.5, 0, "2"), (2.5, 0, "3"), (0.125, 2, "0.13"), (66.665, 2, "66.67")],
)
def test_rounding_is_half_up_not_bankers(value: float, places: int, expected: str) -> None:
    assert str(round_half_up(value, places)) == expected


# --- components ---------------------------------------------------------------------------------


def ex(exercise_id: str, score: float) -> ExerciseResult:
    return ExerciseResult(exercise_id=exercise_id, score=score)


@pytest.mark.parametrize(
    ("results", "component"),
    [
        pytest.param([], 0.0, id="none"),
        pytest.param([ex("a", 100)], 20.0, id="one-perfect-is-a-fifth"),
        pytest.param([ex("a", 40), ex("a", 100), ex("a", 60)], 20.0, id="best-of-retries"),
        pytest.param([ex("a", 100), ex("a", 0)], 20.0, id="a-later-failure-keeps-the-best"),
        pytest.param([ex("a", 80), ex("b", 60)], 28.0, id="two-distinct"),
        pytest.param([ex(c, 100) for c in "abcde"], 100.0, id="five-perfect"),
        pytest.param([ex(c, 100) for c in "abcde"] + [ex("f", 50)], 100.0, id="top-five-count"),
        pytest.param([ex(c, 50) for c in "abcdef"], 50.0, id="six-halves"),
        pytest.param([ex("a", 33.333)], 6.67, id="two-decimals"),
    ],
)
def test_exercise_component(results: list[ExerciseResult], component: float) -> None:
    assert exercise_component(results) == component


@pytest.mark.parametrize(
    ("quizzes", "component"),
    [
        pytest.param([], 0.0, id="none"),
        pytest.param([QuizResult(4, 5)], 80.0, id="4-of-5"),
        pytest.param([QuizResult(2, 5), QuizResult(4, 5)], 80.0, id="improved"),
        pytest.param([QuizResult(4, 5), QuizResult(1, 5)], 80.0, id="best-is-kept"),
        pytest.param([QuizResult(1, 3)], 33.33, id="one-third"),
        pytest.param([QuizResult(2, 3)], 66.67, id="two-thirds-half-up"),
        pytest.param([QuizResult(8, 8)], 100.0, id="perfect"),
    ],
)
def test_quiz_component(quizzes: list[QuizResult], component: float) -> None:
    assert quiz_component(quizzes) == component


@pytest.mark.parametrize(
    ("reviews", "component"),
    [
        pytest.param([], 0.0, id="none"),
        pytest.param([80], 80.0, id="one"),
        pytest.param([70, 80], 75.0, id="mean"),
        pytest.param([0, 100, 100, 100, 100, 100], 100.0, id="only-the-latest-five"),
        pytest.param([100, 0, 0, 0, 0, 0], 0.0, id="old-reviews-drop-out"),
        pytest.param([70, 80, 80], 76.67, id="two-decimals"),
    ],
)
def test_code_quality_component(reviews: list[float], component: float) -> None:
    assert code_quality_component(reviews) == component


@pytest.mark.parametrize(
    ("active", "streak"),
    [
        pytest.param(frozenset(), 0, id="never"),
        pytest.param(days_ago(0), 1, id="today"),
        pytest.param(days_ago(0, 1, 2), 3, id="three-days"),
        pytest.param(days_ago(1, 2), 2, id="not-yet-today-still-counts"),
        pytest.param(days_ago(2, 3), 0, id="a-missed-day-breaks-it"),
        pytest.param(days_ago(0, 2, 3), 1, id="gap"),
        pytest.param(days_ago(*range(10)), 10, id="ten"),
    ],
)
def test_streak_days(active: frozenset[date], streak: int) -> None:
    assert streak_days(active, today=TODAY) == streak


@pytest.mark.parametrize(
    ("streak", "component"),
    [(0, 0.0), (1, 14.29), (3, 42.86), (6, 85.71), (7, 100.0), (30, 100.0)],
)
def test_consistency_component_caps_at_seven_days(streak: int, component: float) -> None:
    assert consistency_component(streak) == component


# --- all together -------------------------------------------------------------------------------


def test_compute_mastery_combines_the_components() -> None:
    inputs = MasteryInputs(
        exercises=[ex("a", 100), ex("a", 60), ex("b", 80)],
        quizzes=[QuizResult(4, 5)],
        review_scores=[70, 90],
        active_days=days_ago(0, 1),
    )
    result = compute_mastery(inputs, today=TODAY)
    assert result.components == Components(36.0, 80.0, 80.0, 28.57)
    # 0.4*36 + 0.3*80 + 0.2*80 + 0.1*28.57 = 57.257
    assert (result.streak_days, result.mastery, result.level) == (2, 57, Level.LEARNING)


def test_a_quiz_of_four_out_of_five_moves_a_student_up() -> None:
    """Acceptance story step 4: a quiz raises mastery by its 30% weight."""
    before = MasteryInputs(exercises=[ex(c, 100) for c in "abc"], active_days=days_ago(0))
    after = MasteryInputs(
        exercises=before.exercises, quizzes=[QuizResult(4, 5)], active_days=before.active_days
    )
    # exercises 60 → 24, streak 1 → 1.43: 25.43 → 25; plus 0.3*80 = 24 → 49.43 → 49
    assert compute_mastery(before, today=TODAY).mastery == 25
    assert compute_mastery(after, today=TODAY).mastery == 49
