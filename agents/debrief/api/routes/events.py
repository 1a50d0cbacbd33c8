"""Subscriptions of the debrief app: `SUBSCRIPTIONS` maps each topic to its handler, so
`grep -rn "<topic>"` leads from an event to what debrief does with it. The declarative
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
from learnflow.api.pubsub import EventHandler, add_subscriber
from learnflow.events import Event, ExerciseAssigned, QuizCompleted

router = APIRouter(tags=["events"])


async def _log_routing(event: Event, request: Request) -> None:
    await routing_log.record(request.app.state.sidecar, event)


async def _update_progress(event: Event, request: Request) -> None:
    await consume_event(request.app.state.pool, event)


async def on_learning_routed(event: Event, request: Request) -> None:
    # Two effects with their own dedupe: a retry after the second failed redoes only the second.
    await _log_routing(event, request)
    await _update_progress(event, request)


async def on_learning_response(event: Event, request: Request) -> None:
    await _log_routing(event, request)


async def on_code_executed(event: Event, request: Request) -> None:
    await _update_progress(event, request)


async def on_exercise_graded(event: Event, request: Request) -> None:
    await _update_progress(event, request)


async def on_quiz_completed(event: Event, request: Request) -> None:
    if isinstance(event, QuizCompleted) and event.user_id:
        await consume_quiz(request.app.state.pool, quiz_attempt_of(event))


async def on_exercise_assigned(event: Event, request: Request) -> None:
    if isinstance(event, ExerciseAssigned):
        await notifications.on_exercise_assigned(request.app.state.pool, event)


#: topic -> handler, every subscription of this app (served at `/events/<topic with dashes>`).
SUBSCRIPTIONS: dict[str, EventHandler] = {
    "learning.routed": on_learning_routed,
    "learning.response": on_learning_response,
    "code.executed": on_code_executed,
    "exercise.graded": on_exercise_graded,
    "quiz.completed": on_quiz_completed,
    "exercise.assigned": on_exercise_assigned,
}

for _topic, _handler in SUBSCRIPTIONS.items():
    add_subscriber(router, _topic, _handler)
