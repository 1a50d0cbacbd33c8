"""`GET /exercises/{exercise_id}`: one exercise as a learner sees it (no tests, no solution) —
a curriculum exercise, or a teacher's exercise assigned to the caller. The learn page opens an
exercise a tutor offered in chat, or one from a notification, with it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from learnflow.api.deps import PoolDep
from learnflow.auth.deps import CurrentUser
from learnflow.curriculum import load_catalog
from triage_agent import assigned
from triage_agent.models import ID_PATTERN

router = APIRouter(prefix="/exercises", tags=["exercises"])


@router.get("/{exercise_id}")
async def read_exercise(
    exercise_id: Annotated[str, Path(pattern=ID_PATTERN)], user: CurrentUser, pool: PoolDep
) -> Any:
    catalog = load_catalog()
    custom = await assigned.custom_exercise_for(pool, user, exercise_id)
    if custom is not None:
        return {
            "exercise_id": custom.id,
            "title": custom.title,
            "topic": custom.topic,
            "topic_title": _module_label(custom.topic),
            "difficulty": custom.difficulty.value,
            "prompt": custom.prompt,
            "starter": custom.starter,
            "source": "assignment",
        }
    found = catalog.exercise(exercise_id)  # NotFound says how ids look
    return {
        "exercise_id": found.id,
        "title": found.title,
        "topic": found.module,
        "topic_title": _module_label(found.module),
        "difficulty": found.difficulty,
        "prompt": found.prompt,
        "starter": found.starter,
        "source": "curriculum",
    }


def _module_label(module_id: str) -> str:
    module = load_catalog().module(module_id)
    return f"Module {module.number}: {module.title}"
