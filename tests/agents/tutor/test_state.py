"""Tutor state under `tutor:<session_id>`: ETag retries, idempotent changes."""

from __future__ import annotations

import pytest

from learnflow.errors import Conflict
from learnflow.testing import FakeSidecar
from tutor_agent.state import COMMIT_ATTEMPTS, TutorState, TutorStateStore, state_key


async def test_changes_are_committed_under_the_session_key() -> None:
    sidecar = FakeSidecar()
    store = TutorStateStore(sidecar)
    saved = await store.commit("abc", [lambda s: s.start("loops.fizzbuzz")])
    assert saved.current_exercise == "loops.fizzbuzz"
    assert sidecar.saves[-1][0] == "tutor:abc" == state_key("abc")
    loaded, etag = await store.load("abc")
    assert loaded.current_exercise == "loops.fizzbuzz" and etag is not None


async def test_a_concurrent_write_is_retried_on_fresh_state() -> None:
    sidecar = FakeSidecar()
    store = TutorStateStore(sidecar)
    await store.commit("s", [lambda s: s.reach_rung("ex", 1)])
    base = await store.load("s")
    # Another request reaches rung 2 after we read: our save with the old ETag is refused.
    await store.commit("s", [lambda s: s.reach_rung("ex", 2)])
    saved = await store.commit("s", [lambda s: s.record_attempt("ex", "sub-1", "fail")], base=base)
    assert saved.exercises["ex"].hint_rung == 2  # the other write is kept
    assert saved.exercises["ex"].attempts == 1


async def test_injected_conflicts_are_retried_then_reported() -> None:
    sidecar = FakeSidecar(conflicts_to_inject=2)
    saved = await TutorStateStore(sidecar).commit("s", [lambda s: s.count_stuck()])
    assert saved.stuck_requests == 1
    sidecar.conflicts_to_inject = COMMIT_ATTEMPTS
    with pytest.raises(Conflict, match="send the message again"):
        await TutorStateStore(sidecar).commit("s", [lambda s: s.count_stuck()])


def test_changes_are_safe_to_apply_twice() -> None:
    state = TutorState()
    for _ in range(2):
        state.reach_rung("ex", 2)
        state.reach_rung("ex", 1)
        state.record_attempt("ex", "sub-1", "pass")
    progress = state.exercises["ex"]
    assert (progress.hint_rung, progress.attempts, progress.passed) == (2, 1, True)
    state.reach_rung("ex", 9)
    assert state.exercises["ex"].hint_rung == 3


def test_a_missing_or_unreadable_value_starts_fresh() -> None:
    assert TutorState.from_stored(None) == TutorState()
    assert TutorState.from_stored({"exercises": "nonsense"}) == TutorState()
    assert TutorState.from_stored("text") == TutorState()


def test_shown_code_is_bounded() -> None:
    state = TutorState()
    state.remember_shown_code(["x = 1\n" * 1000, "y = 2\n" * 1000])
    state.remember_shown_code(["y = 2\n" * 1000])
    assert state.shown_code == ["y = 2\n" * 1000]
