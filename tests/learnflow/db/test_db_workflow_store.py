"""The workflows' own tables (learnflow.workflows.store) read back as typed rows."""

from __future__ import annotations

from typing import Any

from learnflow.db.models import AlertStatus, Difficulty, Role
from learnflow.db.repos import classes, exercises
from learnflow.workflows import store
from tests.learnflow.db.factories import make_user


async def test_an_ops_alert_reads_back_with_its_details(conn: Any) -> None:
    details = {"attempts": 3, "session_id": "s-1", "mode": "practice"}

    first = await store.open_ops_alert(
        conn,
        workflow="session",
        instance_id="session-s-1",
        step="summary",
        message="down",
        details=details,
    )
    again = await store.open_ops_alert(
        conn, workflow="session", instance_id="session-s-1", step="summary", message="down"
    )

    (alert,) = await store.list_ops_alerts(conn, instance_id="session-s-1")
    assert (first, again) == (True, False)
    assert (alert.workflow, alert.step, alert.status) == ("session", "summary", AlertStatus.OPEN)
    assert alert.details == details


async def test_a_publication_and_the_index_read_back_typed(conn: Any) -> None:
    teacher = await make_user(conn, Role.TEACHER)
    school_class = await classes.create_class(conn, name="7B", teacher_id=teacher.id)
    exercise = await exercises.create_custom_exercise(
        conn,
        author_id=teacher.id,
        topic="loops",
        difficulty=Difficulty.EASY,
        title="Sum of squares",
        prompt="Add up the squares of a list of numbers.",
    )

    await store.start_publication(
        conn,
        exercise_id=exercise.id,
        class_id=school_class.id,
        teacher_id=teacher.id,
        instance_id=f"publish-{exercise.id}",
    )
    await store.index_exercise(conn, exercise=exercise, class_id=school_class.id)

    publication = await store.get_publication(conn, exercise_id=exercise.id)
    (hit,) = await store.search_index(conn, class_id=school_class.id, query="squares")
    assert publication is not None
    assert (publication.class_id, publication.status, publication.reason) == (
        school_class.id,
        "validating",
        None,
    )
    assert (hit.exercise_id, hit.topic, hit.title) == (exercise.id, "loops", "Sum of squares")
    assert hit.rank > 0
