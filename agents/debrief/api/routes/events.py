"""Subscriptions of the debrief app: `SUBSCRIPTIONS` maps each topic to its handler, named
`on_<topic>` (so `grep -rn on_<topic with underscores>` leads from an event to what debrief does
with it), each registered with its event class, which deliveries are parsed as. The declarative
Subscriptions (components/subscriptions.yaml, scoped to `debrief`) deliver exactly these topics;
a test keeps the two equal.

- `learning.routed`: recorded in the session id's routing log (Dapr state) and fed to the
  struggle rules ("I'm stuck" twice);
- `learning.response`: recorded in the session id's routing log;
- `code.executed`, `exercise.graded`: runs, attempts, progress and struggle
  (`progress_consumer`);
- `quiz.completed`: the quiz part of mastery and the struggle rules (`consume_quiz`);
- `exercise.assigned`: a notification for each student it is for (`notifications`).
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from debrief_agent import notifications, routing_log
from debrief_agent.progress_consumer import consume_event, consume_quiz, quiz_attempt_of
from learnflow.api.deps import pool_of
from learnflow.api.pubsub import EventHandler, add_subscriber
from learnflow.events import (
    CodeExecuted,
    E,
    Event,
    ExerciseAssigned,
    ExerciseGraded,
    LearningResponse,
    LearningRouted,
    QuizCompleted,
)

router = APIRouter(tags=["events"])

#: topic -> handler, every subscription of this app (served at `/events/<topic with dashes>`).
SUBSCRIPTIONS: dict[str, EventHandler[Event]] = {}


def subscribe(event_type: type[E], handler: EventHandler[E]) -> None:
    add_subscriber(router, event_type, handler)
    SUBSCRIPTIONS[event_type.topic] = handler  # type: ignore[assignment]


async def _log_routing(event: Event, request: Request) -> None:
    await routing_log.record(request.app.state.sidecar, event)


async def _update_progress(event: Event, request: Request) -> None:
    await consume_event(pool_of(request), event)


async def on_learning_routed(event: LearningRouted, request: Request) -> None:
    # Two effects with their own dedupe: a retry after the second failed redoes only the second.
    await _log_routing(event, request)
    await _update_progress(event, request)


async def on_learning_response(event: LearningResponse, request: Request) -> None:
    await _log_routing(event, request)


async def on_code_executed(event: CodeExecuted, request: Request) -> None:
    await _update_progress(event, request)


async def on_exercise_graded(event: ExerciseGraded, request: Request) -> None:
    await _update_progress(event, request)


async def on_quiz_completed(event: QuizCompleted, request: Request) -> None:
    if event.user_id:
        await consume_quiz(pool_of(request), quiz_attempt_of(event))


async def on_exercise_assigned(event: ExerciseAssigned, request: Request) -> None:
    await notifications.on_exercise_assigned(pool_of(request), event)


subscribe(LearningRouted, on_learning_routed)
subscribe(LearningResponse, on_learning_response)
subscribe(CodeExecuted, on_code_executed)
subscribe(ExerciseGraded, on_exercise_graded)
subscribe(QuizCompleted, on_quiz_completed)
subscribe(ExerciseAssigned, on_exercise_assigned)
