"""The progress consumer: one transaction per delivery, idempotent, alerts once per episode,
events queued in the outbox with the effect (deterministic ids) and published by the relay."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from debrief_agent.progress_consumer import tick_once
from learnflow.db.models import User
from learnflow.events import (
    CodeExecuted,
    ExerciseGraded,
    LearningRouted,
    ProgressUpdated,
    StruggleDetected,
)
from learnflow.outbox import Relay, SidecarPublisher, derived_id
from tests.agents.debrief.harness import Debrief

EXERCISE = "data-structures.squares"
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)


def run(
    student: User,
    *,
    at: datetime,
    status: str = "error",
    error_type: str | None = "TypeError",
    submission_id: str | None = None,
    exercise_id: str | None = EXERCISE,
) -> CodeExecuted:
    return CodeExecuted(
        user_id=str(student.id),
        occurred_at=at,
        source="code-runner",
        submission_id=submission_id or str(uuid.uuid4()),
        exercise_id=exercise_id,
        status=status,
        exit_code=1 if status == "error" else 0,
        duration_ms=12.5,
        error_type=error_type,
        code="print(squares([1, 2]))",
    )


def graded(
    student: User, *, at: datetime, passed: bool, submission_id: str, tests: tuple[int, int]
) -> ExerciseGraded:
    return ExerciseGraded(
        user_id=str(student.id),
        occurred_at=at,
        source="tutor",
        submission_id=submission_id,
        exercise_id=EXERCISE,
        topic_id="data-structures",
        passed=passed,
        tests_passed=tests[0],
        tests_total=tests[1],
    )


async def test_three_same_errors_open_one_alert_and_announce_it_once(debrief: Debrief) -> None:
    james = debrief.school.james
    runs = [run(james, at=T0 + timedelta(minutes=i)) for i in range(3)]
    for event in runs:
        await debrief.deliver(event)

    assert await debrief.count("code_submissions", james) == 3
    alerts = await debrief.sql(
        "select trigger, topic, detail, episode_key from struggle_alerts where student_id = %s",
        james.id,
    )
    assert len(alerts) == 1
    trigger, topic, detail, episode_key = alerts[0]
    assert (trigger, topic) == ("repeated_error", "data-structures")
    assert "TypeError 3 times" in detail
    detected = debrief.dapr.events("struggle.detected")
    assert len(detected) == 1
    assert isinstance(detected[0], StruggleDetected)
    assert detected[0].id == derived_id("struggle.detected", episode_key)
    assert detected[0].user_id == str(james.id)
    assert detected[0].exercise_id == EXERCISE
    assert detected[0].alert_id is not None
    # every event recomputed the topic's progress and announced it under an id of its own
    updates = debrief.dapr.events("progress.updated")
    assert [u.id for u in updates] == [
        derived_id("progress.updated", e.id, "data-structures") for e in runs
    ]
    assert all(isinstance(u, ProgressUpdated) and u.topic_id == "data-structures" for u in updates)
    rows = await debrief.sql("select topic from progress where student_id = %s", james.id)
    assert rows == [("data-structures",)]


async def test_the_same_event_delivered_twice_changes_nothing(debrief: Debrief) -> None:
    james = debrief.school.james
    runs = [run(james, at=T0 + timedelta(minutes=i)) for i in range(3)]
    for event in runs:
        await debrief.deliver(event)
    before = {
        table: await debrief.count(table, james)
        for table in ("code_submissions", "struggle_alerts", "progress")
    }
    state_before = await debrief.sql(
        "select state, updated_at from struggle_states where student_id = %s", james.id
    )
    progress_before = await debrief.sql(
        "select mastery, updated_at from progress where student_id = %s", james.id
    )
    published = len(debrief.dapr.published)

    for event in runs:
        await debrief.deliver(event)

    after = {table: await debrief.count(table, james) for table in before}
    assert after == before
    assert state_before == await debrief.sql(
        "select state, updated_at from struggle_states where student_id = %s", james.id
    )
    assert progress_before == await debrief.sql(
        "select mastery, updated_at from progress where student_id = %s", james.id
    )
    assert len(debrief.dapr.published) == published


async def test_with_kafka_unreachable_the_effect_commits_and_its_events_wait(
    debrief: Debrief,
) -> None:
    maya = debrief.school.maya
    event = run(maya, at=T0, status="ok", error_type=None)
    debrief.dapr.fail_publishes = 10  # daprd cannot reach Kafka for a while

    first = await debrief.deliver(event)

    assert first.json() == {"status": "SUCCESS"}  # applied: nothing to redeliver
    assert await debrief.count("code_submissions", maya) == 1  # the effect is committed
    assert debrief.dapr.events() == []
    assert await debrief.sql(
        "select topic, attempts, last_error is not null from event_outbox"
        " where published_at is null"
    ) == [("progress.updated", 1, True)]
    debrief.dapr.fail_publishes = 0

    await debrief.app.state.outbox_relay.drain()  # the relay's next round

    assert [e.id for e in debrief.dapr.events()] == [
        derived_id("progress.updated", event.id, "data-structures")
    ]
    await debrief.deliver(event)  # a redelivery queues nothing
    assert len(debrief.dapr.events()) == 1  # published rows are not published again


async def test_graded_attempts_update_mastery(debrief: Debrief) -> None:
    maya = debrief.school.maya
    submission = str(uuid.uuid4())
    event = graded(maya, at=T0, passed=True, submission_id=submission, tests=(4, 4))
    event = event.model_copy(update={"code_quality": 90.0})

    await debrief.deliver(event)

    attempts = await debrief.sql(
        "select exercise_id, passed, score, tests_passed, tests_total from exercise_attempts"
        " where student_id = %s",
        maya.id,
    )
    assert [(a[0], a[1], float(a[2]), a[3], a[4]) for a in attempts] == [
        (EXERCISE, True, 100.0, 4, 4)
    ]
    (row,) = await debrief.sql(
        "select exercise_score, code_quality_score, mastery, level from progress"
        " where student_id = %s and topic = 'data-structures'",
        maya.id,
    )
    assert (float(row[0]), float(row[1])) == (20.0, 90.0)  # one of five exercises; the review
    (update,) = debrief.dapr.events("progress.updated")
    assert isinstance(update, ProgressUpdated)
    assert (update.mastery, update.level) == (row[2], row[3])


async def test_a_graded_run_seen_as_two_events_counts_once(debrief: Debrief) -> None:
    """The code runner announces a test run (code.executed) and the tutor its grade
    (exercise.graded), with the same submission id: the struggle rules see one failed run."""
    james = debrief.school.james

    async def failed_submission(minute: int) -> None:
        submission = str(uuid.uuid4())
        at = T0 + timedelta(minutes=minute)
        await debrief.deliver(
            run(james, at=at, status="fail", error_type=None, submission_id=submission)
        )
        await debrief.deliver(
            graded(james, at=at, passed=False, submission_id=submission, tests=(1, 4))
        )

    await failed_submission(0)
    await failed_submission(1)
    assert await debrief.count("struggle_alerts", james) == 0  # 2 wrong answers, not 4

    await failed_submission(2)
    rows = await debrief.sql("select trigger, detail from struggle_alerts")
    assert [r[0] for r in rows] == ["repeated_error"]
    assert rows[0][1].startswith("wrong_answer 3 times")
    assert await debrief.count("exercise_attempts", james) == 3
    assert await debrief.count("code_submissions", james) == 3


async def test_five_failed_runs_in_a_row_concurrently_alert_once(debrief: Debrief) -> None:
    maya = debrief.school.maya
    errors = ["TypeError", "NameError", "IndexError", "KeyError", "ValueError"]
    runs = [run(maya, at=T0 + timedelta(seconds=i), error_type=e) for i, e in enumerate(errors)]

    await asyncio.gather(*(debrief.deliver(e) for e in runs))

    rows = await debrief.sql("select trigger from struggle_alerts where student_id = %s", maya.id)
    assert rows == [("failed_run_streak",)]
    assert len(debrief.dapr.events("struggle.detected")) == 1


async def test_saying_im_stuck_twice_opens_an_alert(debrief: Debrief) -> None:
    james = debrief.school.james

    def routed(minute: int, confused: bool) -> LearningRouted:
        return LearningRouted(
            user_id=str(james.id),
            session_id="s-1",
            occurred_at=T0 + timedelta(minutes=minute),
            message_id=f"m-{minute}",
            intent="code_help",
            agent="tutor",
            confidence=0.9,
            says_confused=confused,
        )

    await debrief.deliver(routed(0, True))
    await debrief.deliver(routed(1, False))
    assert await debrief.count("struggle_alerts", james) == 0
    await debrief.deliver(routed(2, True))

    rows = await debrief.sql("select trigger, detail from struggle_alerts")
    assert rows == [("says_confused", "Said they are stuck or lost 2 times.")]
    (detected,) = debrief.dapr.events("struggle.detected")
    assert isinstance(detected, StruggleDetected)
    assert detected.session_id == "s-1"
    # the routing log (Dapr state) still gets every routed message
    assert len(debrief.dapr.state["activity:s-1"][0]["entries"]) == 3


async def test_an_unknown_user_is_dead_lettered_and_changes_nothing(debrief: Debrief) -> None:
    event = run(debrief.school.maya, at=T0).model_copy(update={"user_id": str(uuid.uuid4())})

    await debrief.deliver(event)

    assert debrief.dapr.published[0][0] == "code.executed.dlq"
    assert "no LearnFlow user" in debrief.dapr.published[0][1]["reason"]
    assert await debrief.sql("select count(*) from processed_events") == [(0,)]
    malformed = event.model_copy(update={"user_id": "maya"})
    await debrief.deliver(malformed)
    assert "not a LearnFlow user id" in debrief.dapr.published[1][1]["reason"]


async def test_anonymous_runs_and_teachers_are_not_tracked(debrief: Debrief) -> None:
    anonymous = run(debrief.school.maya, at=T0).model_copy(update={"user_id": None})
    teacher = run(debrief.school.teacher, at=T0)

    await debrief.deliver(anonymous)
    await debrief.deliver(teacher)

    assert await debrief.sql("select count(*) from code_submissions") == [(0,)]
    assert debrief.dapr.published == []


async def test_the_periodic_check_finds_a_student_stuck_on_an_exercise(debrief: Debrief) -> None:
    maya = debrief.school.maya
    now = datetime.now(UTC)
    await debrief.deliver(run(maya, at=now - timedelta(minutes=11), error_type="NameError"))
    await debrief.deliver(run(maya, at=now - timedelta(minutes=2), error_type="TypeError"))
    assert await debrief.count("struggle_alerts", maya) == 0

    opened = await tick_once(debrief.pool, now=now)
    await debrief.app.state.outbox_relay.drain()

    assert opened == 1
    rows = await debrief.sql("select trigger, detail from struggle_alerts")
    assert rows[0][0] == "stuck_on_exercise"
    assert EXERCISE in rows[0][1]
    (detected,) = debrief.dapr.events("struggle.detected")
    assert isinstance(detected, StruggleDetected)
    assert detected.exercise_id == EXERCISE
    # the episode fired: checking again opens nothing
    assert await tick_once(debrief.pool, now=now) == 0


async def test_rows_a_crash_left_in_the_outbox_are_published_by_the_next_relay(
    debrief: Debrief,
) -> None:
    maya = debrief.school.maya
    debrief.dapr.fail_publishes = 1  # the publish fails, as if the app died right after commit
    await debrief.deliver(run(maya, at=T0, status="ok", error_type=None))
    assert debrief.dapr.events() == []

    restarted = Relay(
        app_id="debrief",
        conninfo=debrief.app.state.settings.database_url.get_secret_value(),
        publisher=SidecarPublisher(debrief.dapr.sidecar()),
    )
    await restarted.drain()

    assert len(debrief.dapr.events("progress.updated")) == 1
    assert await debrief.sql("select count(*) from event_outbox where published_at is null") == [
        (0,)
    ]
