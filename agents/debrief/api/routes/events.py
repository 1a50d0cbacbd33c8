"""Subscriptions of the debrief app (declared in components/subscriptions.yaml).

- `learning.routed`: recorded in the session's activity (Dapr state) and fed to the struggle
  rules ("I'm stuck" twice);
- `learning.response`: recorded in the session's activity;
- `code.executed`, `exercise.graded`: submissions, attempts, progress and struggle
  (`progress_consumer`);
- `quiz.completed`: the quiz part of mastery and the struggle rules (`consume_quiz`);
- `exercise.assigned`: a notification for each student it is for (`notifications`).
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from debrief_agent import activity, notifications
from debrief_agent.progress_consumer import consume_event, consume_quiz, quiz_attempt_of
from learnflow.api.deps import pool_of
from learnflow.api.pubsub import add_subscriber
from learnflow.events import (
    CodeExecuted,
    Event,
    ExerciseAssigned,
    ExerciseGraded,
    LearningResponse,
    LearningRouted,
    QuizCompleted,
)

router = APIRouter(tags=["events"])


async def _record(event: Event, request: Request) -> None:
    await activity.record(request.app.state.sidecar, event)


async def _progress(event: Event, request: Request) -> None:
    await consume_event(pool_of(request), event)


async def _routed(event: Event, request: Request) -> None:
    # Two effects with their own dedupe: a retry after the second failed redoes only the second.
    await _record(event, request)
    await _progress(event, request)


add_subscriber(router, LearningRouted, _routed)
add_subscriber(router, LearningResponse, _record)
add_subscriber(router, CodeExecuted, _progress)
add_subscriber(router, ExerciseGraded, _progress)


async def _quiz(event: QuizCompleted, request: Request) -> None:
    if event.user_id:
        await consume_quiz(pool_of(request), quiz_attempt_of(event))


async def _assigned(event: ExerciseAssigned, request: Request) -> None:
    await notifications.on_exercise_assigned(pool_of(request), event)


add_subscriber(router, QuizCompleted, _quiz)
add_subscriber(router, ExerciseAssigned, _assigned)
