"""Alerts, custom exercises, assignments, conversations and debriefs repositories."""

from __future__ import annotations

from uuid import uuid4

import psycopg
import pytest

from learnflow.db.models import AlertStatus, Difficulty, ExerciseStatus, Role, Sender
from learnflow.db.repos import alerts, assignments, classes, conversations, debriefs, exercises
from learnflow.errors import Conflict, InvalidInput, NotAllowed, NotFound
from learnflow.progress.struggle import StruggleTrigger
from tests.learnflow.db.factories import make_user


@pytest.mark.parametrize("trigger", list(StruggleTrigger))
async def test_the_database_accepts_every_struggle_trigger(
    conn: psycopg.AsyncConnection, trigger: StruggleTrigger
) -> None:
    james = await make_user(conn, Role.STUDENT)
    alert, created = await alerts.open_alert(
        conn, student_id=james.id, trigger=trigger, episode_key=f"{trigger}:{james.id}"
    )
    assert created and alert.trigger is trigger and alert.status is AlertStatus.OPEN


async def test_teachers_see_and_resolve_their_students_alerts(
    conn: psycopg.AsyncConnection,
) -> None:
    teacher = await make_user(conn, Role.TEACHER)
    other_teacher = await make_user(conn, Role.TEACHER)
    james = await make_user(conn, Role.STUDENT)
    school_class = await classes.create_class(conn, name="Python 101", teacher_id=teacher.id)
    await classes.enroll(conn, class_id=school_class.id, student_id=james.id)
    alert, _ = await alerts.open_alert(
        conn,
        student_id=james.id,
        trigger=StruggleTrigger.REPEATED_ERROR,
        episode_key="k1",
        topic="data-structures",
        detail="wrong_answer 3 times this session, latest on data-structures.squares.",
    )

    assert await alerts.list_open_alerts(conn, teacher_id=teacher.id) == [alert]
    assert await alerts.list_open_alerts(conn, teacher_id=other_teacher.id) == []
    assert await alerts.list_open_alerts(conn, student_id=james.id) == [alert]

    resolved = await alerts.resolve_alert(conn, alert_id=alert.id, resolved_by=teacher.id)
    assert resolved.status is AlertStatus.RESOLVED
    assert resolved.resolved_by == teacher.id and resolved.resolved_at is not None
    assert await alerts.resolve_alert(conn, alert_id=alert.id, resolved_by=teacher.id) == resolved
    assert await alerts.list_open_alerts(conn, teacher_id=teacher.id) == []
    with pytest.raises(NotFound):
        await alerts.resolve_alert(conn, alert_id=uuid4(), resolved_by=teacher.id)


async def test_custom_exercise_lifecycle(conn: psycopg.AsyncConnection) -> None:
    teacher = await make_user(conn, Role.TEACHER)
    draft = await exercises.create_custom_exercise(
        conn,
        author_id=teacher.id,
        topic="data-structures",
        difficulty=Difficulty.EASY,
        title="Squares of evens",
        prompt="Return the squares of the even numbers, using a list comprehension.",
        hints=[{"nudge": "Which numbers do you keep?"}],
        request="Create easy exercises on list comprehensions",
    )
    assert draft.status is ExerciseStatus.DRAFT
    assert draft.id.startswith("data-structures.custom-")
    set_status = exercises.set_custom_exercise_status

    with pytest.raises(Conflict, match="cannot become ready"):
        await set_status(conn, exercise_id=draft.id, status=ExerciseStatus.READY)
    with pytest.raises(InvalidInput, match="failure_reason"):
        await set_status(conn, exercise_id=draft.id, status=ExerciseStatus.FAILED)

    validating = await set_status(conn, exercise_id=draft.id, status=ExerciseStatus.VALIDATING)
    failed = await set_status(
        conn,
        exercise_id=draft.id,
        status=ExerciseStatus.FAILED,
        failure_reason="the reference solution fails test_empty",
    )
    assert (validating.status, failed.status) == (ExerciseStatus.VALIDATING, ExerciseStatus.FAILED)
    assert failed.failure_reason == "the reference solution fails test_empty"
    await set_status(conn, exercise_id=draft.id, status=ExerciseStatus.VALIDATING)
    ready = await set_status(conn, exercise_id=draft.id, status=ExerciseStatus.READY)
    assert (ready.status, ready.failure_reason) == (ExerciseStatus.READY, None)
    # an activity retried after success: same status again is a no-op
    assert await set_status(conn, exercise_id=draft.id, status=ExerciseStatus.READY) == ready

    assert await exercises.list_custom_exercises(conn, author_id=teacher.id) == [ready]
    assert await exercises.list_custom_exercises(conn, status=ExerciseStatus.DRAFT) == []
    with pytest.raises(NotFound):
        await set_status(conn, exercise_id="nope", status=ExerciseStatus.VALIDATING)


async def test_creating_a_custom_exercise_with_a_given_id_is_idempotent(
    conn: psycopg.AsyncConnection,
) -> None:
    teacher = await make_user(conn, Role.TEACHER)
    created = [
        await exercises.create_custom_exercise(
            conn,
            author_id=teacher.id,
            topic="basics",
            difficulty=Difficulty.EASY,
            title="T",
            prompt="P",
            exercise_id="basics.custom-fixed",
        )
        for _ in range(2)
    ]
    assert created[0] == created[1]


async def test_assignments(conn: psycopg.AsyncConnection) -> None:
    teacher = await make_user(conn, Role.TEACHER)
    other_teacher = await make_user(conn, Role.TEACHER)
    james = await make_user(conn, Role.STUDENT)
    school_class = await classes.create_class(conn, name="Python 101", teacher_id=teacher.id)
    await classes.enroll(conn, class_id=school_class.id, student_id=james.id)
    custom = await exercises.create_custom_exercise(
        conn,
        author_id=teacher.id,
        topic="data-structures",
        difficulty=Difficulty.EASY,
        title="T",
        prompt="P",
    )

    with pytest.raises(Conflict, match="only exercises that passed validation"):
        await assignments.assign_exercise(
            conn, class_id=school_class.id, exercise_id=custom.id, assigned_by=teacher.id
        )
    await exercises.set_custom_exercise_status(
        conn, exercise_id=custom.id, status=ExerciseStatus.VALIDATING
    )
    await exercises.set_custom_exercise_status(
        conn, exercise_id=custom.id, status=ExerciseStatus.READY
    )
    with pytest.raises(NotAllowed, match="Only the teacher"):
        await assignments.assign_exercise(
            conn, class_id=school_class.id, exercise_id=custom.id, assigned_by=other_teacher.id
        )
    assignment, created = await assignments.assign_exercise(
        conn, class_id=school_class.id, exercise_id=custom.id, assigned_by=teacher.id
    )
    again, created_again = await assignments.assign_exercise(
        conn, class_id=school_class.id, exercise_id=custom.id, assigned_by=teacher.id
    )
    curriculum, _ = await assignments.assign_exercise(
        conn,
        class_id=school_class.id,
        exercise_id="data-structures.squares",
        assigned_by=teacher.id,
    )
    assert (created, created_again, again) == (True, False, assignment)
    for_james = await assignments.list_assignments_for_student(conn, student_id=james.id)
    assert {a.exercise_id for a in for_james} == {custom.id, curriculum.exercise_id}
    assert len(await assignments.list_assignments_for_class(conn, class_id=school_class.id)) == 2


async def test_conversations_and_replayed_messages(conn: psycopg.AsyncConnection) -> None:
    maya = await make_user(conn, Role.STUDENT)
    conversation = await conversations.create_conversation(
        conn, student_id=maya.id, topic="control-flow", session_id="session-1"
    )
    assert (
        await conversations.create_conversation(conn, student_id=maya.id, session_id="session-1")
        == conversation
    )
    question = await conversations.add_message(
        conn,
        conversation_id=conversation.id,
        sender=Sender.STUDENT,
        content="How do for loops work in Python?",
        event_id="evt-q",
    )
    answer = await conversations.add_message(
        conn,
        conversation_id=conversation.id,
        sender=Sender.AGENT,
        agent="concepts",
        content="A for loop repeats its body once per item…",
    )
    replay = await conversations.add_message(
        conn,
        conversation_id=conversation.id,
        sender=Sender.STUDENT,
        content="How do for loops work in Python?",
        event_id="evt-q",
    )
    assert replay == question
    assert await conversations.list_messages(conn, conversation_id=conversation.id) == [
        question,
        answer,
    ]
    assert await conversations.list_conversations(conn, student_id=maya.id) != []


async def test_one_debrief_per_session(conn: psycopg.AsyncConnection) -> None:
    maya = await make_user(conn, Role.STUDENT)
    first, created = await debriefs.save_debrief(
        conn, student_id=maya.id, summary="Practised for loops.", session_id="s1", details={"a": 1}
    )
    second, created_again = await debriefs.save_debrief(
        conn, student_id=maya.id, summary="A retried activity.", session_id="s1"
    )
    assert (created, created_again, second) == (True, False, first)
    assert first.details == {"a": 1}
    assert await debriefs.list_debriefs(conn, student_id=maya.id) == [first]
    assert await debriefs.get_debrief(conn, debrief_id=first.id) == first
