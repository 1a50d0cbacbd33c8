"""Exercises from a teacher's plain words: parse, draft (offline families), store, validate.

Every draft is written in one transaction (all of the request's drafts or none), then goes
through the publishing workflow (`publish-<id>`: reference passes, starter fails, the tests give
the same result twice) and is shown with that validation. The teacher then approves, rejects or
edits each one; an edit is stored as a new draft (new id) and validated again, and the edited
one is rejected — what was validated is never changed under its verdict.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from learnflow.db.models import CustomExercise, Difficulty, ExerciseStatus, Role, SchoolClass
from learnflow.db.pool import Conn, Pool
from learnflow.db.repos import classes, exercises
from learnflow.errors import Conflict, NotAllowed, NotFound
from learnflow.generation import Draft, GenerationRequest, generate

REVIEWS = ("pending", "approved", "rejected")


async def class_of_teacher(conn: Conn, class_id: UUID, user_id: UUID, role: Role) -> SchoolClass:
    school_class = await classes.get_class(conn, class_id=class_id)
    if school_class is None:
        raise NotFound(f"no class {class_id}")
    if role is not Role.ADMIN and school_class.teacher_id != user_id:
        raise NotAllowed(f"only the teacher of {school_class.name!r} makes exercises for it")
    return school_class


async def _made_before(conn: Conn, author_id: UUID, topic: str) -> set[str]:
    cur = await conn.execute(
        "select origin->>'variant' from exercises_custom where author_id = %s and topic = %s"
        " and review <> 'rejected' and origin ? 'variant'",
        (author_id, topic),
    )
    return {row[0] for row in await cur.fetchall() if row[0]}


async def store_drafts(
    pool: Pool, author_id: UUID, wanted: GenerationRequest, class_id: UUID
) -> list[CustomExercise]:
    """Generate and store the drafts in one transaction; returns them (status draft)."""
    async with pool.connection() as conn, conn.transaction():
        made = await _made_before(conn, author_id, wanted.module)
        seed = f"{author_id}:{wanted.words}:{datetime.now(UTC).isoformat()}"
        drafts = generate(wanted, seed=seed, avoid=made)
        stored = []
        for draft in drafts:
            stored.append(
                await _store(conn, author_id, wanted.module, draft, wanted.words, class_id)
            )
        return stored


async def _store(
    conn: Conn, author_id: UUID, topic: str, draft: Draft, words: str, class_id: UUID
) -> CustomExercise:
    exercise = await exercises.create_custom_exercise(
        conn,
        author_id=author_id,
        topic=topic,
        difficulty=Difficulty(draft.difficulty),
        title=draft.title,
        prompt=draft.prompt,
        starter=draft.starter,
        tests=draft.tests,
        solution=draft.solution,
        hints=draft.hints,
        request=words,
    )
    origin = {
        "generator": "offline-families",
        "family": draft.family,
        "variant": draft.variant,
        "class_id": str(class_id),
    }
    await conn.execute(
        "update exercises_custom set origin = %s where id = %s", (Jsonb(origin), exercise.id)
    )
    return exercise.model_copy(update={"origin": origin})


async def own_exercise(conn: Conn, exercise_id: str, user_id: UUID, role: Role) -> CustomExercise:
    found = await exercises.get_custom_exercise(conn, exercise_id=exercise_id)
    if found is None or (role is not Role.ADMIN and found.author_id != user_id):
        raise NotFound(f"no exercise {exercise_id} of yours")
    return found


async def review(
    pool: Pool, exercise_id: str, user_id: UUID, role: Role, decision: str
) -> CustomExercise:
    async with pool.connection() as conn, conn.transaction():
        found = await own_exercise(conn, exercise_id, user_id, role)
        if decision == "approved" and found.status is not ExerciseStatus.READY:
            why = found.failure_reason or "it has not passed validation"
            raise Conflict(
                f"exercise {exercise_id} cannot be approved while it is {found.status.value} "
                f"({why}); wait for validation, or edit it"
            )
        await conn.execute(
            "update exercises_custom set review = %s, updated_at = now() where id = %s",
            (decision, exercise_id),
        )
        return found.model_copy(update={"review": decision})


async def edit(
    pool: Pool, exercise_id: str, user_id: UUID, role: Role, changes: dict[str, Any]
) -> tuple[CustomExercise, UUID]:
    """A new draft with the changes (validated anew); the edited one is rejected."""
    async with pool.connection() as conn, conn.transaction():
        found = await own_exercise(conn, exercise_id, user_id, role)
        class_id = UUID(str(found.origin.get("class_id"))) if found.origin.get("class_id") else None
        if class_id is None:
            raise Conflict(f"exercise {exercise_id} was not made for a class; submit it again")
        fields = {
            "title": found.title,
            "prompt": found.prompt,
            "starter": found.starter,
            "tests": found.tests,
            "solution": found.solution,
            "hints": found.hints,
            **{k: v for k, v in changes.items() if v is not None},
        }
        created = await exercises.create_custom_exercise(
            conn,
            author_id=found.author_id,
            topic=found.topic,
            difficulty=found.difficulty,
            request=found.request,
            **fields,
        )
        origin = {**found.origin, "edited_from": exercise_id}
        await conn.execute(
            "update exercises_custom set origin = %s where id = %s", (Jsonb(origin), created.id)
        )
        await conn.execute(
            "update exercises_custom set review = 'rejected', updated_at = now() where id = %s",
            (exercise_id,),
        )
        return created.model_copy(update={"origin": origin}), class_id
