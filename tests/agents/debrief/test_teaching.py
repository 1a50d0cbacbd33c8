"""The teacher's loop in debrief: quiz results from Kafka, assignments (all or nothing),
notifications from `exercise.assigned`, code attempts with per-test outcomes, code quality
only for passing code, and the mastery trend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from learnflow.events import ExerciseAssigned, ExerciseGraded, QuizAnswer, QuizCompleted
from tests.agents.debrief.harness import Debrief


def quiz_done(user_id: str, event_id: str, score: int) -> QuizCompleted:
    return QuizCompleted(
        id=event_id,
        source="tutor",
        user_id=user_id,
        quiz_id=f"quiz-{event_id}",
        topic_id="control-flow",
        score=score,
        total=5,
        answers=[QuizAnswer(question_id=f"q{i}", choice=0, correct=i < score) for i in range(5)],
    )


def graded(user_id: str, event_id: str, *, passed: bool, quality: float) -> ExerciseGraded:
    return ExerciseGraded(
        id=event_id,
        source="tutor",
        user_id=user_id,
        submission_id=f"sub-{event_id}",
        exercise_id="control-flow.fizzbuzz",
        topic_id="control-flow",
        passed=passed,
        tests_passed=5 if passed else 2,
        tests_total=5,
        code_quality=quality,
        tests=[{"name": "test_fizz", "status": "pass" if passed else "fail"}],
    )


async def test_a_completed_quiz_event_counts_once_and_a_low_score_alerts(debrief: Debrief) -> None:
    james = str(debrief.school.james.id)
    await debrief.deliver(quiz_done(james, "e-1", 2))
    await debrief.deliver(quiz_done(james, "e-1", 2))  # redelivery

    rows = await debrief.sql("select quiz_score from progress where student_id = %s", james)
    assert float(rows[0][0]) == 40.0
    assert await debrief.count("quiz_attempts", debrief.school.james) == 1
    assert [t for (t,) in await debrief.sql("select trigger from struggle_alerts")] == [
        "low_quiz_score"
    ]


async def test_code_quality_counts_only_for_code_that_passes(debrief: Debrief) -> None:
    maya = str(debrief.school.maya.id)
    await debrief.deliver(graded(maya, "g-1", passed=False, quality=100))
    rows = await debrief.sql("select code_quality_score from progress where student_id = %s", maya)
    assert float(rows[0][0]) == 0.0
    await debrief.deliver(graded(maya, "g-2", passed=True, quality=80))
    rows = await debrief.sql("select code_quality_score from progress where student_id = %s", maya)
    assert float(rows[0][0]) == 80.0


async def test_attempts_come_newest_first_with_per_test_outcomes(debrief: Debrief) -> None:
    maya = debrief.school.maya
    await debrief.deliver(graded(str(maya.id), "g-1", passed=False, quality=50))
    async with debrief.pool.connection() as conn:
        await conn.execute(
            "insert into code_submissions (student_id, exercise_id, code, status, passed,"
            " submission_key) values (%s, 'control-flow.fizzbuzz', 'print(1)', 'fail', false,"
            " 'sub-g-1')",
            (maya.id,),
        )
    seen = await debrief.client.get(
        f"/students/{maya.id}/submissions", headers=debrief.as_user(debrief.school.teacher)
    )
    assert seen.status_code == 200, seen.text
    assert seen.json()[0]["tests"] == [{"name": "test_fizz", "status": "fail"}]
    other = await debrief.client.get(
        f"/students/{maya.id}/submissions", headers=debrief.as_user(debrief.school.other_teacher)
    )
    assert other.status_code == 403


async def test_assigning_to_a_student_of_another_class_writes_nothing(debrief: Debrief) -> None:
    school = debrief.school
    body = {
        "exercise_ids": ["control-flow.fizzbuzz"],
        "student_ids": [str(school.maya.id), str(school.outsider.id)],
    }
    refused = await debrief.client.post(
        f"/classes/{school.school_class.id}/assignments",
        json=body,
        headers=debrief.as_user(school.teacher),
    )
    assert refused.status_code == 403
    assert "not a student of 'Python 101'" in refused.json()["message"]
    assert await debrief.sql("select count(*) from assignments") == [(0,)]
    assert debrief.dapr.events("exercise.assigned") == []


async def test_bad_assignments_are_refused_with_what_to_fix(debrief: Debrief) -> None:
    school = debrief.school
    url = f"/classes/{school.school_class.id}/assignments"
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    late = await debrief.client.post(
        url,
        json={"exercise_ids": ["control-flow.fizzbuzz"], "due_at": past},
        headers=debrief.as_user(school.teacher),
    )
    unknown = await debrief.client.post(
        url, json={"exercise_ids": ["nope.nothing"]}, headers=debrief.as_user(school.teacher)
    )
    not_theirs = await debrief.client.post(
        url,
        json={"exercise_ids": ["control-flow.fizzbuzz"]},
        headers=debrief.as_user(school.other_teacher),
    )
    assert (late.status_code, unknown.status_code, not_theirs.status_code) == (422, 404, 403)
    assert "due date" in late.json()["message"]
    assert await debrief.sql("select count(*) from assignments") == [(0,)]


async def test_an_assignment_notifies_each_student_once(debrief: Debrief) -> None:
    school = debrief.school
    due = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    done = await debrief.client.post(
        f"/classes/{school.school_class.id}/assignments",
        json={
            "exercise_ids": ["control-flow.fizzbuzz"],
            "student_ids": [str(school.james.id)],
            "due_at": due,
            "request_id": "r-1",
        },
        headers=debrief.as_user(school.teacher),
    )
    assert done.status_code == 200, done.text
    [event] = debrief.dapr.events("exercise.assigned")
    assert isinstance(event, ExerciseAssigned)
    assert event.student_ids == [str(school.james.id)]

    await debrief.deliver(event)
    await debrief.deliver(event)  # redelivered: no second notification
    inbox = await debrief.client.get(
        f"/users/{school.james.id}/notifications", headers=debrief.as_user(school.james)
    )
    assert inbox.json()["unread"] == 1
    [item] = inbox.json()["items"]
    assert "Mr Rodriguez" in item["title"] and "Due" in item["body"]
    assert len(debrief.dapr.events("notification.created")) == 1
    nosy = await debrief.client.get(
        f"/users/{school.james.id}/notifications", headers=debrief.as_user(school.maya)
    )
    assert nosy.status_code == 403

    read = await debrief.client.post(
        f"/users/{school.james.id}/notifications/{item['id']}/read",
        headers=debrief.as_user(school.james),
    )
    assert read.json()["unread"] == 0
    mine = await debrief.client.get(
        f"/students/{school.james.id}/assignments", headers=debrief.as_user(school.james)
    )
    assert [a["assigned_by"] for a in mine.json()] == ["Mr Rodriguez"]
    maya_has = await debrief.client.get(
        f"/students/{school.maya.id}/assignments", headers=debrief.as_user(school.maya)
    )
    assert maya_has.json() == []  # assigned to James only


async def test_the_trend_follows_each_change(debrief: Debrief) -> None:
    maya = debrief.school.maya
    await debrief.deliver(quiz_done(str(maya.id), "e-1", 3))
    await debrief.deliver(quiz_done(str(maya.id), "e-2", 5))
    trend = await debrief.client.get(
        f"/students/{maya.id}/trend", headers=debrief.as_user(debrief.school.teacher)
    )
    points = trend.json()["topics"]["control-flow"]["points"]
    assert [p["mastery"] for p in points] == [19, 31]  # quiz 60% then 100%, streak 1 day
    assert trend.json()["topics"]["control-flow"]["change_7d"] == 31
