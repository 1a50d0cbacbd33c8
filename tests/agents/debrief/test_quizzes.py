"""`POST /quizzes/attempts`: quiz results into progress and struggle, once per attempt id."""

from __future__ import annotations

from debrief_agent.progress_consumer import quiz_source_id
from learnflow.outbox import derived_id
from tests.agents.debrief.harness import Debrief


def attempt(student_id: str, attempt_id: str, score: int, total: int = 5) -> dict[str, object]:
    return {
        "attempt_id": attempt_id,
        "user_id": student_id,
        "topic": "control-flow",
        "quiz_id": "control-flow.quiz",
        "score": score,
        "total": total,
        "answers": [0, 1, 2, 0, 1],
    }


async def test_a_low_score_opens_an_alert_and_a_retry_changes_nothing(debrief: Debrief) -> None:
    james = str(debrief.school.james.id)

    first = await debrief.client.post("/quizzes/attempts", json=attempt(james, "q-1", 1))
    again = await debrief.client.post("/quizzes/attempts", json=attempt(james, "q-1", 1))

    assert first.status_code == 200, first.text
    assert first.json()["recorded"] is True
    assert first.json()["progress"]["quiz_score"] == 20.0
    assert again.json()["recorded"] is False
    assert again.json()["progress"] == first.json()["progress"]
    assert await debrief.count("quiz_attempts", debrief.school.james) == 1
    rows = await debrief.sql("select trigger, detail from struggle_alerts")
    assert rows == [("low_quiz_score", "Scored 1/5 (20%) on the control-flow quiz.")]
    assert [e.topic for e in debrief.dapr.events()] == ["struggle.detected", "progress.updated"]
    assert debrief.dapr.events("progress.updated")[0].id == derived_id(
        "progress.updated", quiz_source_id("q-1"), "control-flow"
    )


async def test_the_best_quiz_counts_toward_mastery(debrief: Debrief) -> None:
    maya = str(debrief.school.maya.id)
    await debrief.client.post("/quizzes/attempts", json=attempt(maya, "q-1", 3))
    best = await debrief.client.post("/quizzes/attempts", json=attempt(maya, "q-2", 4))
    later = await debrief.client.post("/quizzes/attempts", json=attempt(maya, "q-3", 3))

    assert best.json()["progress"]["quiz_score"] == 80.0
    assert later.json()["progress"]["quiz_score"] == 80.0  # a weaker retry lowers nothing
    assert later.json()["progress"]["label"].startswith("Module 2: Control Flow — ")
    assert await debrief.count("struggle_alerts", debrief.school.maya) == 0  # all >= 50%
    assert await debrief.sql("select count(*) from quiz_attempts") == [(3,)]


async def test_bad_quiz_attempts_are_refused(debrief: Debrief) -> None:
    maya = str(debrief.school.maya.id)
    too_high = await debrief.client.post("/quizzes/attempts", json=attempt(maya, "q-x", 6))
    teacher = await debrief.client.post(
        "/quizzes/attempts", json=attempt(str(debrief.school.teacher.id), "q-y", 3)
    )
    assert too_high.status_code == 422
    assert "more than the total" in too_high.json()["message"]
    assert teacher.status_code == 422
    assert "not a student" in teacher.json()["message"]
