"""Debrief's user-facing routes: who may see what (principal forwarded by triage), and what
they see — progress per topic, the next exercise, class overviews, alerts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from learnflow.curriculum import load_catalog
from learnflow.db.models import Role
from learnflow.db.repos.assignments import assign_exercise
from learnflow.events import CodeExecuted, ExerciseGraded
from tests.agents.debrief.harness import Debrief
from tests.learnflow.db.factories import make_user

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)


def graded(user_id: uuid.UUID, exercise_id: str, topic: str, passed: bool) -> ExerciseGraded:
    return ExerciseGraded(
        user_id=str(user_id),
        occurred_at=T0,
        submission_id=str(uuid.uuid4()),
        exercise_id=exercise_id,
        topic_id=topic,
        passed=passed,
        tests_passed=4 if passed else 1,
        tests_total=4,
    )


async def test_a_route_without_a_forwarded_principal_is_401(debrief: Debrief) -> None:
    response = await debrief.client.get(f"/students/{debrief.school.maya.id}/progress")
    assert response.status_code == 401
    assert "triage" in response.json()["message"]


async def test_progress_lists_every_module_with_mastery_and_level(debrief: Debrief) -> None:
    maya = debrief.school.maya
    await debrief.deliver(graded(maya.id, "control-flow.fizzbuzz", "control-flow", True))

    response = await debrief.client.get(
        f"/students/{maya.id}/progress", headers=debrief.as_user(maya)
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["display_name"] == "Maya"
    assert [t["topic"] for t in body["topics"]][:3] == ["basics", "control-flow", "data-structures"]
    flow = body["topics"][1]
    assert flow["started"] is True and flow["mastery"] > 0
    assert flow["label"] == f"Module 2: Control Flow — {flow['mastery']}%"
    assert flow["level"] == "beginner"
    assert body["topics"][0] == body["topics"][0] | {"started": False, "mastery": 0}


@pytest.mark.parametrize(
    ("viewer", "status"),
    [
        pytest.param("maya", 200, id="the-student-herself"),
        pytest.param("teacher", 200, id="her-teacher"),
        pytest.param("james", 403, id="a-classmate"),
        pytest.param("other_teacher", 403, id="another-teacher"),
    ],
)
async def test_who_may_see_a_students_progress(debrief: Debrief, viewer: str, status: int) -> None:
    school = debrief.school
    response = await debrief.client.get(
        f"/students/{school.maya.id}/progress", headers=debrief.as_user(getattr(school, viewer))
    )
    assert response.status_code == status, response.text
    if status == 403:
        body = response.json()
        assert body["error"] == "forbidden"
        assert "teacher" in body["message"]


async def test_a_student_asking_for_an_unknown_id_gets_403_not_404(debrief: Debrief) -> None:
    response = await debrief.client.get(
        f"/students/{uuid.uuid4()}/progress", headers=debrief.as_user(debrief.school.maya)
    )
    assert response.status_code == 403


async def test_next_exercise_starts_a_new_student_on_an_easy_basics_exercise(
    debrief: Debrief,
) -> None:
    maya = debrief.school.maya
    response = await debrief.client.get(
        f"/students/{maya.id}/next-exercise", headers=debrief.as_user(maya)
    )
    assert response.status_code == 200, response.text
    exercise = response.json()["exercise"]
    assert (exercise["topic"], exercise["difficulty"]) == ("basics", "easy")
    assert "solution" not in exercise and "tests" not in exercise
    assert "not started" in response.json()["reason"]


async def test_next_exercise_goes_to_the_weakest_started_topic_and_skips_passed_ones(
    debrief: Debrief,
) -> None:
    maya = debrief.school.maya
    # basics: 3 exercises passed (stronger); control-flow: one failed attempt (weakest)
    basics = [e.id for e in load_catalog().exercises_for("basics", difficulty="easy")][:3]
    for exercise_id in basics:
        await debrief.deliver(graded(maya.id, exercise_id, "basics", True))
    await debrief.deliver(graded(maya.id, "control-flow.fizzbuzz", "control-flow", False))

    body = (
        await debrief.client.get(
            f"/students/{maya.id}/next-exercise", headers=debrief.as_user(maya)
        )
    ).json()

    assert body["exercise"]["topic"] == "control-flow"
    assert body["exercise"]["difficulty"] == "easy"  # beginner level there
    assert "Control Flow" in body["reason"]


async def test_an_unfinished_assignment_comes_first(debrief: Debrief) -> None:
    school = debrief.school
    async with debrief.pool.connection() as conn:
        await assign_exercise(
            conn,
            class_id=school.school_class.id,
            exercise_id="data-structures.squares",
            assigned_by=school.teacher.id,
        )
    body = (
        await debrief.client.get(
            f"/students/{school.james.id}/next-exercise", headers=debrief.as_user(school.james)
        )
    ).json()
    assert body["exercise"]["exercise_id"] == "data-structures.squares"
    assert body["exercise"]["source"] == "assignment"

    await debrief.deliver(
        graded(school.james.id, "data-structures.squares", "data-structures", True)
    )
    body = (
        await debrief.client.get(
            f"/students/{school.james.id}/next-exercise", headers=debrief.as_user(school.james)
        )
    ).json()
    assert body["exercise"]["source"] == "curriculum"


async def test_the_class_overview_is_for_its_teacher_only(debrief: Debrief) -> None:
    school = debrief.school
    await debrief.deliver(graded(school.maya.id, "control-flow.fizzbuzz", "control-flow", True))
    url = f"/classes/{school.school_class.id}/overview"

    mine = await debrief.client.get(url, headers=debrief.as_user(school.teacher))
    theirs = await debrief.client.get(url, headers=debrief.as_user(school.other_teacher))
    student = await debrief.client.get(url, headers=debrief.as_user(school.maya))
    missing = await debrief.client.get(
        f"/classes/{uuid.uuid4()}/overview", headers=debrief.as_user(school.teacher)
    )

    assert mine.status_code == 200, mine.text
    overview = mine.json()
    assert overview["name"] == "Python 101" and overview["teacher_name"] == "Mr Rodriguez"
    assert sorted(s["display_name"] for s in overview["students"]) == ["James", "Maya"]
    flow = next(t for t in overview["topics"] if t["topic"] == "control-flow")
    assert flow["students_started"] == 1
    assert theirs.status_code == 403 and "Python 101" in theirs.json()["message"]
    assert student.status_code == 403 and "teacher role" in student.json()["message"]
    assert missing.status_code == 404


async def test_my_classes(debrief: Debrief) -> None:
    school = debrief.school
    teacher = (await debrief.client.get("/classes", headers=debrief.as_user(school.teacher))).json()
    student = (await debrief.client.get("/classes", headers=debrief.as_user(school.maya))).json()
    assert [(c["name"], c["students"]) for c in teacher] == [("Python 101", 2)]
    assert [c["name"] for c in student] == ["Python 101"]


async def _three_type_errors(debrief: Debrief, student_id: uuid.UUID) -> None:
    for minute in range(3):
        await debrief.deliver(
            CodeExecuted(
                user_id=str(student_id),
                occurred_at=T0 + timedelta(minutes=minute),
                submission_id=str(uuid.uuid4()),
                exercise_id="data-structures.squares",
                status="error",
                duration_ms=5,
                error_type="TypeError",
            )
        )


async def test_teachers_see_and_resolve_the_alerts_of_their_students(debrief: Debrief) -> None:
    school = debrief.school
    await _three_type_errors(debrief, school.james.id)
    await _three_type_errors(debrief, school.outsider.id)

    mine = await debrief.client.get("/alerts", headers=debrief.as_user(school.teacher))
    student = await debrief.client.get("/alerts", headers=debrief.as_user(school.james))

    assert mine.status_code == 200
    (alert,) = mine.json()
    assert (alert["student_name"], alert["trigger"]) == ("James", "repeated_error")
    assert alert["topic_title"] == "Module 3: Data Structures"
    assert student.status_code == 403
    assert "teacher role" in student.json()["message"]

    other = await debrief.client.post(
        f"/alerts/{alert['id']}/resolve", headers=debrief.as_user(school.other_teacher)
    )
    assert other.status_code == 403
    resolved = await debrief.client.post(
        f"/alerts/{alert['id']}/resolve", headers=debrief.as_user(school.teacher)
    )
    assert resolved.status_code == 200
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["resolved_by"] == str(school.teacher.id)
    left = await debrief.client.get("/alerts", headers=debrief.as_user(school.teacher))
    assert left.json() == []
    again = await debrief.client.post(
        f"/alerts/{alert['id']}/resolve", headers=debrief.as_user(school.teacher)
    )
    assert again.json()["resolved_at"] == resolved.json()["resolved_at"]


async def test_admins_see_every_alert(debrief: Debrief) -> None:
    await _three_type_errors(debrief, debrief.school.outsider.id)
    async with debrief.pool.connection() as conn:
        admin = await make_user(conn, Role.ADMIN, "Admin")
    response = await debrief.client.get("/alerts", headers=debrief.as_user(admin))
    assert [a["student_name"] for a in response.json()] == ["Olivia"]
