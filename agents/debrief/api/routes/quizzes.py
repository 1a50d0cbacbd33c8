"""`POST /quizzes/attempts`: a graded quiz, recorded into progress (called by the tutor)."""

from __future__ import annotations

from fastapi import APIRouter

from debrief_agent import views
from debrief_agent.models import QuizAttemptIn, QuizAttemptOut
from debrief_agent.progress_consumer import consume_quiz
from learnflow.api.deps import PoolDep

router = APIRouter(prefix="/quizzes", tags=["progress"])


@router.post("/attempts", response_model=QuizAttemptOut)
async def record_attempt(body: QuizAttemptIn, pool: PoolDep) -> QuizAttemptOut:
    """Record the attempt once (`attempt_id` is the idempotency key), recompute the topic's
    mastery, feed the struggle rules (a score under 50% opens an alert), queue
    `progress.updated` (and `struggle.detected` when an alert opened)."""
    recorded, progress = await consume_quiz(pool, body)
    return QuizAttemptOut(
        attempt_id=body.attempt_id,
        recorded=recorded,
        progress=views.topic_progress(body.topic, progress) if progress is not None else None,
    )
