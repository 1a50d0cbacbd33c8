"""Teachers' own exercises, as their students may use them: only once validated and approved,
and only for students it was assigned to (their class, or them by name)."""

from __future__ import annotations

from typing import Any

from learnflow.auth.tokens import Principal
from learnflow.db.models import CustomExercise, ExerciseStatus, Role
from learnflow.db.pool import Pool
from learnflow.db.repos.exercises import get_custom_exercise
from learnflow.errors import NotFound


def is_custom(exercise_id: str) -> bool:
    return ".custom-" in exercise_id


async def custom_exercise_for(
    pool: Pool, user: Principal, exercise_id: str
) -> CustomExercise | None:
    """The custom exercise if `user` may work on it; None for curriculum ids; NotFound else."""
    if not is_custom(exercise_id):
        return None
    async with pool.connection() as conn:
        found = await get_custom_exercise(conn, exercise_id=exercise_id)
        if found is None or found.status is not ExerciseStatus.READY:
            raise NotFound(f"no exercise {exercise_id} is open to you")
        if user.role is Role.ADMIN or found.author_id == user.user_id:
            return found
        cur = await conn.execute(
            "select 1 from assignments a join enrollments e on e.class_id = a.class_id"
            " where a.exercise_id = %s and e.student_id = %s"
            " and (a.student_id is null or a.student_id = e.student_id)",
            (exercise_id, user.user_id),
        )
        if await cur.fetchone() is None:
            raise NotFound(f"no exercise {exercise_id} is open to you")
    return found


def grading_payload(exercise: CustomExercise) -> dict[str, Any]:
    """What the tutor needs to grade a custom exercise (it has no database)."""
    return {
        "id": exercise.id,
        "topic": exercise.topic,
        "difficulty": exercise.difficulty.value,
        "title": exercise.title,
        "prompt": exercise.prompt,
        "starter": exercise.starter,
        "tests": exercise.tests,
        "solution": exercise.solution,
        "hints": exercise.hints,
    }
