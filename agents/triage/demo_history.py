"""The demo class's past: Maya's and James's earlier work, sent as real events through the
real pipeline (Kafka → debrief → progress), never written as mastery numbers.

At start-up, for each demo student without a row in `demo_histories`, triage queues the events
of their history — graded exercises and a finished quiz, dated days ago — in its outbox in the
transaction that records the row (`learnflow.outbox`); the app's relay publishes them through
its sidecar whenever Kafka is reachable. Event ids are derived from the student and the item, so
debrief counts each once whatever is retried.

Maya's Control Flow history: three easy exercises passed (exercise part 3 × 100 / 5 = 60, code
quality 90) and the module quiz at 3/5 (60), two days ago or more (no streak today):
0.4 × 60 + 0.3 × 60 + 0.2 × 90 + 0.1 × 0 = 60 → "Module 2: Control Flow — 60%".
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import psycopg
from fastapi import FastAPI

from learnflow import outbox
from learnflow.curriculum import load_catalog
from learnflow.db.pool import Pool
from learnflow.db.repos.users import get_user_by_email
from learnflow.errors import LearnFlowError
from learnflow.events import Event, ExerciseGraded, QuizAnswer, QuizCompleted

log = logging.getLogger("triage.demo_history")
NAMESPACE = uuid.UUID("4b6f8d2a-1c3e-4f5a-9b7d-0e2c4a6b8d1f")
SOURCE = "demo-history"
READY_TIMEOUT_S = 180.0


@dataclass(frozen=True)
class Graded:
    exercise_id: str
    days_ago: int
    quality: float


@dataclass(frozen=True)
class Quiz:
    module: str
    score: int
    days_ago: int


HISTORIES: dict[str, tuple[Graded | Quiz, ...]] = {
    "maya@learnflow.dev": (
        Graded("basics.greeting", 9, 85),
        Graded("basics.is-even", 9, 85),
        Graded("basics.type-name", 8, 85),
        Quiz("basics", 4, 8),
        Graded("control-flow.letter-grade", 5, 90),
        Graded("control-flow.ticket-price", 4, 90),
        Graded("control-flow.largest", 3, 90),
        Quiz("control-flow", 3, 3),
    ),
    "james@learnflow.dev": (
        Graded("basics.greeting", 8, 70),
        Graded("basics.to-cents", 6, 75),
        Quiz("basics", 3, 6),
        Graded("data-structures.squares", 4, 80),
    ),
}


def _id(user_id: UUID, n: int) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{user_id}/{n}"))


def events_for(user_id: UUID, email: str, now: datetime) -> list[Event]:
    catalog = load_catalog()
    events: list[Event] = []
    for n, item in enumerate(HISTORIES.get(email, ())):
        at = now - timedelta(days=item.days_ago)
        common = {
            "id": _id(user_id, n),
            "source": SOURCE,
            "user_id": str(user_id),
            "occurred_at": at,
        }
        if isinstance(item, Graded):
            exercise = catalog.exercise(item.exercise_id)
            total = exercise.tests.count("\ndef test_") + exercise.tests.startswith("def test_")
            events.append(
                ExerciseGraded(
                    **common,
                    submission_id=f"demo-{common['id']}",
                    exercise_id=exercise.id,
                    topic_id=exercise.module,
                    passed=True,
                    tests_passed=total,
                    tests_total=total,
                    code_quality=item.quality,
                )
            )
        else:
            questions = catalog.quiz(item.module).questions[:5]
            answers = [
                QuizAnswer(
                    question_id=q.id,
                    choice=q.answer if i < item.score else (q.answer + 1) % len(q.choices),
                    correct=i < item.score,
                )
                for i, q in enumerate(questions)
            ]
            events.append(
                QuizCompleted(
                    **common,
                    quiz_id=f"demo-{common['id']}",
                    topic_id=item.module,
                    score=item.score,
                    total=len(questions),
                    answers=answers,
                )
            )
    return events


async def queue_missing(pool: Pool, *, now: datetime | None = None) -> int:
    """Queue the history of every demo student that has none yet; returns how many."""
    now = now or datetime.now(UTC)
    queued = 0
    for email in HISTORIES:
        async with pool.connection() as conn, conn.transaction():
            user = await get_user_by_email(conn, email=email)
            if user is None:
                continue
            cur = await conn.execute(
                "insert into demo_histories (user_id) values (%s) on conflict do nothing"
                " returning user_id",
                (user.id,),
            )
            if await cur.fetchone() is None:
                continue  # queued already (by this start or an earlier one)
            for event in events_for(user.id, email, now):
                # triage's relay publishes them (the events' source is demo-history)
                await outbox.add(conn, event, partition_key=str(user.id), app_id="triage")
        queued += 1
        log.info("queued the demo history of %s for the pipeline", email)
    outbox.wake()
    return queued


async def _queue_when_ready(app: FastAPI) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + READY_TIMEOUT_S
    delay = 0.5
    while True:
        try:
            await queue_missing(app.state.pool)
            return
        except (LearnFlowError, psycopg.Error) as exc:  # the database is away: wait for it
            if loop.time() > deadline:
                log.error("the demo history was not queued: %s", exc)
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


async def start(app: FastAPI) -> None:
    """Queue in the background (the database may still be coming up)."""
    app.state.demo_history = asyncio.create_task(_queue_when_ready(app))


async def stop(app: FastAPI) -> None:
    task: asyncio.Task[None] | None = getattr(app.state, "demo_history", None)
    if task is not None and not task.done():
        task.cancel()
