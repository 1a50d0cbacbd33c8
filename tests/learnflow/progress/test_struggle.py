"""Struggle triggers: each one, its threshold, and once-per-episode (table-driven)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from learnflow.progress.struggle import (
    Activity,
    ActivityState,
    CodeRun,
    Detection,
    ExerciseOpened,
    QuizTaken,
    StruggleTrigger,
    StudentSaid,
    observe,
    says_confused,
    tick,
)

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
STUDENT = "james"

R = StruggleTrigger.REPEATED_ERROR
S = StruggleTrigger.STUCK_ON_EXERCISE
Q = StruggleTrigger.LOW_QUIZ_SCORE
C = StruggleTrigger.SAYS_CONFUSED
F = StruggleTrigger.FAILED_RUN_STREAK


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def fail(m: float, error: str | None = "TypeError", exercise: str | None = None) -> CodeRun:
    return CodeRun(at=at(m), passed=False, error_type=error, exercise_id=exercise, topic="basics")


def wrong(m: float, exercise: str = "data-structures.squares") -> CodeRun:
    """A graded submission whose tests fail (no exception type from the runner)."""
    return CodeRun(at=at(m), passed=False, graded=True, exercise_id=exercise, topic="ds")


def ok(m: float, exercise: str | None = None, graded: bool = False) -> CodeRun:
    return CodeRun(at=at(m), passed=True, graded=graded, exercise_id=exercise, topic="basics")


def quiz(m: float, score: int, total: int, topic: str = "control-flow") -> QuizTaken:
    return QuizTaken(at=at(m), topic=topic, score=score, total=total)


def say(m: float, text: str) -> StudentSaid:
    return StudentSaid(at=at(m), text=text)


def opened(m: float, exercise: str) -> ExerciseOpened:
    return ExerciseOpened(at=at(m), exercise_id=exercise, topic="basics")


def play(
    activities: Sequence[Activity], state: ActivityState | None = None
) -> tuple[ActivityState, list[tuple[StruggleTrigger, int]], list[Detection]]:
    """Feed activities in order; return the state and (trigger, index of the activity) fired."""
    state = state or ActivityState(student_id=STUDENT)
    fired: list[tuple[StruggleTrigger, int]] = []
    detections: list[Detection] = []
    for index, activity in enumerate(activities):
        state, found = observe(state, activity)
        fired += [(d.trigger, index) for d in found]
        detections += found
    return state, fired, detections


SCENARIOS = [
    # --- same error type 3+ times ----------------------------------------------------------
    pytest.param([fail(0), fail(1)], [], id="error-twice-nothing"),
    pytest.param([fail(0), fail(1), fail(2)], [(R, 2)], id="error-3rd-fires"),
    pytest.param([fail(0), fail(1), fail(2), fail(3)], [(R, 2)], id="error-4th-same-episode"),
    pytest.param(
        [fail(0), fail(1, "NameError"), fail(2), ok(3), fail(4)],
        [(R, 4)],
        id="error-counts-the-type-not-the-run",
    ),
    pytest.param(
        [fail(0), fail(1), fail(2, "NameError"), fail(3, "NameError"), fail(4, "NameError")],
        [(R, 4), (F, 4)],
        id="error-each-type-its-own-episode",
    ),
    pytest.param([wrong(0), wrong(1), wrong(2)], [(R, 2)], id="error-wrong-answers-james"),
    pytest.param(
        [fail(0, None), fail(1, None), fail(2, None)], [], id="error-untyped-free-runs-not-counted"
    ),
    pytest.param([fail(0), fail(1), fail(62)], [], id="error-session-gap-resets"),
    pytest.param([fail(0), fail(1), fail(61)], [(R, 2)], id="error-60-min-gap-same-session"),
    pytest.param(
        [fail(0), fail(1), fail(2), fail(100), fail(101), fail(102)],
        [(R, 2), (R, 5)],
        id="error-new-session-new-episode",
    ),
    # --- stuck on one exercise > 10 minutes -------------------------------------------------
    pytest.param([opened(0, "a"), fail(10, exercise="a")], [], id="stuck-exactly-10-min-no"),
    pytest.param(
        [opened(0, "a"), fail(10.01, exercise="a")], [(S, 1)], id="stuck-just-over-10-fires"
    ),
    pytest.param(
        [opened(0, "a"), say(11, "hmm"), fail(15, exercise="a"), say(20, "hmm")],
        [(S, 1)],
        id="stuck-fires-once",
    ),
    pytest.param(
        [opened(0, "a"), ok(9, "a", graded=True), fail(12, exercise="a")],
        [],
        id="stuck-not-after-passing",
    ),
    pytest.param(
        [opened(0, "a"), ok(9, "a"), fail(12, exercise="a")],
        [(S, 2)],
        id="stuck-an-ungraded-run-is-not-passing",
    ),
    pytest.param(
        [opened(0, "a"), opened(5, "b"), fail(14, exercise="b"), fail(16, exercise="b")],
        [(S, 3)],
        id="stuck-switching-restarts-the-clock",
    ),
    pytest.param(
        [opened(0, "a"), fail(11, exercise="a"), opened(12, "b"), fail(23, exercise="b")],
        [(S, 1), (S, 3)],
        id="stuck-each-exercise-its-own-episode",
    ),
    pytest.param(
        [opened(0, "a"), fail(70, exercise="a"), fail(75, exercise="a")],
        [],
        id="stuck-a-session-gap-restarts-the-clock",
    ),
    # --- quiz score < 50% -------------------------------------------------------------------
    pytest.param([quiz(0, 2, 5)], [(Q, 0)], id="quiz-40pct-fires"),
    pytest.param([quiz(0, 5, 10)], [], id="quiz-exactly-50pct-no"),
    pytest.param([quiz(0, 4, 9)], [(Q, 0)], id="quiz-44pct-fires"),
    pytest.param([quiz(0, 0, 1)], [(Q, 0)], id="quiz-zero-fires"),
    pytest.param([quiz(0, 4, 5)], [], id="quiz-80pct-no"),
    pytest.param([quiz(0, 2, 5), quiz(5, 1, 5)], [(Q, 0)], id="quiz-retake-same-episode"),
    pytest.param(
        [quiz(0, 2, 5), quiz(5, 3, 5), quiz(10, 2, 5)],
        [(Q, 0), (Q, 2)],
        id="quiz-a-pass-ends-the-episode",
    ),
    pytest.param(
        [quiz(0, 2, 5), quiz(1, 1, 5, topic="oop")], [(Q, 0), (Q, 1)], id="quiz-per-topic"
    ),
    # --- "I don't understand" / "I'm stuck" twice -------------------------------------------
    pytest.param([say(0, "I don't understand")], [], id="confused-once-nothing"),
    pytest.param(
        [say(0, "I don't understand"), say(1, "I'm stuck")], [(C, 1)], id="confused-twice-fires"
    ),
    pytest.param(
        [say(0, "i dont get it"), say(1, "thanks!"), say(2, "still lost"), say(3, "I'm stuck")],
        [(C, 2)],
        id="confused-fires-once-per-episode",
    ),
    pytest.param(
        [say(0, "I'm stuck"), ok(1, "a", graded=True), say(2, "I'm stuck")],
        [],
        id="confused-a-solved-exercise-ends-the-episode",
    ),
    pytest.param([say(0, "I'm stuck"), say(90, "I'm stuck")], [], id="confused-session-gap-resets"),
    # --- 5+ failed runs in a row ------------------------------------------------------------
    pytest.param([fail(m, None) for m in range(4)], [], id="runs-four-nothing"),
    pytest.param([fail(m, None) for m in range(5)], [(F, 4)], id="runs-fifth-fires"),
    pytest.param([fail(m, None) for m in range(7)], [(F, 4)], id="runs-sixth-same-episode"),
    pytest.param(
        [*(fail(m, None) for m in range(4)), ok(4), *(fail(m, None) for m in range(5, 9))],
        [],
        id="runs-a-success-resets",
    ),
    pytest.param(
        [*(fail(m, None) for m in range(5)), ok(5), *(fail(m, None) for m in range(6, 11))],
        [(F, 4), (F, 10)],
        id="runs-new-episode-after-success",
    ),
    pytest.param(
        [fail(0), fail(1, "NameError"), fail(2, "ValueError"), fail(3, "KeyError"), fail(4)],
        [(F, 4)],
        id="runs-any-error-counts",
    ),
]


@pytest.mark.parametrize(("activities", "expected"), SCENARIOS)
def test_triggers(activities: list[Activity], expected: list[tuple[StruggleTrigger, int]]) -> None:
    _, fired, _ = play(activities)
    assert sorted(fired, key=lambda f: (f[1], f[0].value)) == sorted(
        expected, key=lambda f: (f[1], f[0].value)
    )


# --- stuck, detected by the clock -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("last_activity", "now", "fires"),
    [
        pytest.param(8, 10, False, id="not-yet-10-min"),
        pytest.param(8, 10.01, True, id="active-and-over-10-min"),
        pytest.param(5.01, 10.01, True, id="active-exactly-5-min-ago"),
        pytest.param(5, 10.01, False, id="idle-over-5-min-an-abandoned-tab"),
    ],
)
def test_tick_detects_stuck_only_while_active(
    last_activity: float, now: float, fires: bool
) -> None:
    state, fired, _ = play([opened(0, "a"), say(last_activity, "hmm")])
    assert fired == []
    state, found = tick(state, at(now))
    assert [d.trigger for d in found] == ([S] if fires else [])
    if fires:
        _, found_again = tick(state, at(now + 1))
        assert found_again == []  # once per episode


# --- episode keys ---------------------------------------------------------------------------------


def test_episode_keys_are_stable_for_replays_and_state_reloads() -> None:
    activities: list[Activity] = [
        fail(0),
        fail(1),
        fail(2),
        say(3, "I'm stuck"),
        say(4, "I'm lost"),
    ]
    _, _, first = play(activities)
    # replay from scratch: the same keys
    _, _, replay = play(activities)
    assert [d.episode_key for d in replay] == [d.episode_key for d in first]
    # persist the state half-way (as a consumer would), reload it, continue: the same keys
    state, _, head = play(activities[:2])
    reloaded = ActivityState.model_validate_json(state.model_dump_json())
    _, _, tail = play(activities[2:], reloaded)
    assert [d.episode_key for d in head + tail] == [d.episode_key for d in first]


def test_a_new_episode_gets_a_new_key() -> None:
    _, _, detections = play(
        [fail(m, None) for m in range(5)] + [ok(5)] + [fail(m, None) for m in range(6, 11)]
    )
    keys = [d.episode_key for d in detections]
    assert len(keys) == 2 and keys[0] != keys[1]


def test_a_detection_says_what_happened() -> None:
    _, _, [detection] = play([wrong(0), wrong(1), wrong(2)])
    assert detection.trigger is R
    assert detection.student_id == STUDENT and detection.topic == "ds"
    assert detection.at == at(2)
    assert detection.detail == (
        "wrong_answer 3 times this session, latest on data-structures.squares."
    )
    assert detection.episode_key == (
        "repeated_error:james:wrong_answer:2026-03-02T10:00:00.000000+00:00"
    )


def test_observe_does_not_mutate_the_state_it_is_given() -> None:
    state = ActivityState(student_id=STUDENT)
    new_state, _ = observe(state, fail(0))
    assert state == ActivityState(student_id=STUDENT)
    assert new_state != state


# --- the phrases ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "I don't understand",
        "I dont understand this",
        "i do not understand why this fails",
        "I still don’t get it",
        "I don't really get how loops work",
        "I can't figure it out... I'm stuck",
        "I'm stuck",
        "im stuck",
        "I am so stuck",
        "I'm totally lost",
        "I'm confused",
        "getting confused here",
        "stuck",
        "still stuck!!",
        "this makes no sense",
        "it doesn't make any sense",
        "no idea what to do",
        "I give up",
        "I dont undrestand",
        "this is so confusing",
    ],
)
def test_confusion_phrases(text: str) -> None:
    assert says_confused(text)


@pytest.mark.parametrize(
    "text",
    [
        "I understand now, thanks!",
        "How do for loops work in Python?",
        "I'm not stuck anymore",
        "I'm no longer confused",
        "not so stuck now",
        "Can you give me a hint?",
        "my variable is called stuck_count",
        "I got it!",
        "I don't underestimate loops",
    ],
)
def test_not_confusion(text: str) -> None:
    assert not says_confused(text)
