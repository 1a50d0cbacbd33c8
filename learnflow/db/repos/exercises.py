"""Teacher-authored exercises: drafted, validated through the sandbox, then ready to assign.

    draft ──► validating ──► ready
                  │   ▲        │
                  ▼   │        ▼
                failed ──► draft  (edit, then validate again)

Validation runs the reference solution and the starter through the sandbox (not here).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from uuid import UUID

from psycopg.types.json import Jsonb

from learnflow.db.models import CustomExercise, Difficulty, ExerciseStatus
from learnflow.db.pool import Conn
from learnflow.db.repos._rows import fetch_all, fetch_one, insert_or_get
from learnflow.errors import Conflict, InvalidInput, NotFound

ALLOWED_TRANSITIONS: dict[ExerciseStatus, frozenset[ExerciseStatus]] = {
    ExerciseStatus.DRAFT: frozenset({ExerciseStatus.VALIDATING}),
    ExerciseStatus.VALIDATING: frozenset({ExerciseStatus.READY, ExerciseStatus.FAILED}),
    ExerciseStatus.FAILED: frozenset({ExerciseStatus.DRAFT, ExerciseStatus.VALIDATING}),
    ExerciseStatus.READY: frozenset({ExerciseStatus.DRAFT}),
}


def new_exercise_id(topic: str) -> str:
    """`<topic>.custom-<hex>`: never collides with curriculum ids (`<topic>.<slug>`)."""
    return f"{topic}.custom-{secrets.token_hex(6)}"


async def create_custom_exercise(
    conn: Conn,
    *,
    author_id: UUID,
    topic: str,
    difficulty: Difficulty,
    title: str,
    prompt: str,
    starter: str = "",
    tests: str = "",
    solution: str = "",
    hints: Sequence[dict[str, str]] = (),
    request: str = "",
    exercise_id: str | None = None,
) -> CustomExercise:
    """A new exercise in `draft`. Pass `exercise_id` to make a retried creation idempotent."""
    if not title.strip() or not prompt.strip():
        raise InvalidInput("An exercise needs a title and a prompt")
    ex_id = exercise_id or new_exercise_id(topic)
    exercise, created = await insert_or_get(
        conn,
        CustomExercise,
        "insert into exercises_custom (id, author_id, topic, difficulty, title, prompt, starter,"
        " tests, solution, hints, request) values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " on conflict (id) do nothing returning *",
        (
            ex_id,
            author_id,
            topic,
            Difficulty(difficulty).value,
            title.strip(),
            prompt,
            starter,
            tests,
            solution,
            Jsonb(list(hints)),
            request,
        ),
        select="select * from exercises_custom where id = %s",
        select_params=(ex_id,),
        vanished=Conflict(f"Exercise id {ex_id} is taken"),
    )
    if not created and exercise.author_id != author_id:
        raise Conflict(f"Exercise id {ex_id} is taken")
    return exercise


async def get_custom_exercise(conn: Conn, *, exercise_id: str) -> CustomExercise | None:
    return await fetch_one(
        conn, CustomExercise, "select * from exercises_custom where id = %s", (exercise_id,)
    )


async def list_custom_exercises(
    conn: Conn,
    *,
    author_id: UUID | None = None,
    topic: str | None = None,
    status: ExerciseStatus | None = None,
) -> list[CustomExercise]:
    """Newest first, filtered by any of author, topic and status."""
    return await fetch_all(
        conn,
        CustomExercise,
        "select * from exercises_custom where (%(a)s::uuid is null or author_id = %(a)s)"
        " and (%(t)s::text is null or topic = %(t)s)"
        " and (%(s)s::text is null or status = %(s)s)"
        " order by created_at desc, id",
        {"a": author_id, "t": topic, "s": None if status is None else ExerciseStatus(status).value},
    )


async def set_custom_exercise_status(
    conn: Conn,
    *,
    exercise_id: str,
    status: ExerciseStatus,
    failure_reason: str | None = None,
) -> CustomExercise:
    """Move an exercise along its lifecycle; `failed` needs a reason, other states clear it.

    Setting the status it already has is a no-op (activities may run twice); an illegal move
    (e.g. draft → ready, skipping validation) raises `Conflict`.
    """
    target = ExerciseStatus(status)
    if target is ExerciseStatus.FAILED and not (failure_reason or "").strip():
        raise InvalidInput("A failed exercise needs a failure_reason saying what went wrong")
    current = await fetch_one(
        conn,
        CustomExercise,
        "select * from exercises_custom where id = %s for update",
        (exercise_id,),
    )
    if current is None:
        raise NotFound(f"No custom exercise with id {exercise_id}")
    if current.status is target:
        return current
    if target not in ALLOWED_TRANSITIONS[current.status]:
        raise Conflict(
            f"Exercise {exercise_id} is {current.status.value}; it cannot become {target.value}"
            f" (allowed: {', '.join(sorted(s.value for s in ALLOWED_TRANSITIONS[current.status]))})"
        )
    reason = failure_reason.strip() if target is ExerciseStatus.FAILED and failure_reason else None
    updated = await fetch_one(
        conn,
        CustomExercise,
        "update exercises_custom set status = %s, failure_reason = %s, updated_at = now()"
        " where id = %s returning *",
        (target.value, reason, exercise_id),
    )
    if updated is None:
        raise NotFound(f"No custom exercise with id {exercise_id}")
    return updated
