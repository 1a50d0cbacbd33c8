"""The debrief's words for an exam exercise (pure: an exam and its stored item results)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from learnflow.db.repos.exams import Exam, ExamItem, ItemResult
from triage_agent.exams import debrief

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def _exam() -> Exam:
    return Exam(
        id=uuid.uuid4(),
        class_id=uuid.uuid4(),
        teacher_id=uuid.uuid4(),
        title="Basics sprint",
        items=[ExamItem(kind="exercise", id="basics.greeting")],
        time_limit_s=45,
        opens_at=NOW,
        closes_at=NOW + timedelta(days=1),
        created_at=NOW,
    )


def _graded(passed: int, total: int, correct: bool, message: str | None) -> ItemResult:
    return ItemResult(
        attempt_id=uuid.uuid4(),
        position=0,
        item_id="basics.greeting",
        kind="exercise",
        answered=True,
        correct=correct,
        choice=None,
        submission_id=uuid.uuid4(),
        tests_passed=passed,
        tests_total=total,
        message=message,
    )


def test_code_the_tests_could_not_run_on_is_explained_not_counted() -> None:
    """It said "0 of 0 hidden tests passed." before the reason (the function was missing)."""
    reason = "The tests use `greeting` from your code, but solution.py does not define it."
    (item,) = debrief(_exam(), [_graded(0, 0, False, reason)])
    assert item.why == reason


def test_failed_and_passed_tests_are_counted() -> None:
    (failed,) = debrief(_exam(), [_graded(1, 3, False, "test_empty failed")])
    (passed,) = debrief(_exam(), [_graded(3, 3, True, None)])
    assert failed.why == "1 of 3 hidden tests passed. test_empty failed"
    assert passed.why == "All 3 of 3 hidden tests passed."
