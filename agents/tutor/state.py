"""The tutor state of each session id in the Dapr state store, under `tutor:<session_id>`
(docs/glossary.md: what the tutor remembers for a session id — not the learning session).

A turn reads the state once, records each change it makes as a small function (`Change`) while
the agent runs, then commits: it applies the changes to the state it read and saves with that
state's ETag (first-write-wins). When another request changed the state in between, the save
is refused (`Conflict`); the state is read again and the same changes are applied to the fresh
copy, up to `COMMIT_ATTEMPTS` times. Changes are written so that re-applying them is safe
(rungs only go up, an attempt is counted once per submission id).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from learnflow.state_update import Save, update_state

from .mesh import Mesh

__all__ = [
    "COMMIT_ATTEMPTS",
    "MAX_SHOWN_CODE_CHARS",
    "Change",
    "ExerciseProgress",
    "TutorState",
    "TutorStateStore",
    "state_key",
]

COMMIT_ATTEMPTS = 5
#: How much of the code the tutor showed for a session id is kept (for the cumulative leak check).
MAX_SHOWN_CODE_CHARS = 8000
MAX_REMEMBERED_SUBMISSIONS = 50
MAX_REMEMBERED_EXERCISES = 30
HINT_RUNGS = 3


def state_key(session_id: str) -> str:
    return f"tutor:{session_id}"


class ExerciseProgress(BaseModel):
    """What happened on one exercise under this session id."""

    hint_rung: int = Field(default=0, ge=0, le=HINT_RUNGS)
    attempts: int = Field(default=0, ge=0)
    passed: bool = False
    last_status: str | None = None


class TutorState(BaseModel):
    """The value stored under `tutor:<session_id>` (documented in the service README)."""

    version: int = 1
    current_exercise: str | None = None
    exercises: dict[str, ExerciseProgress] = Field(default_factory=dict)
    stuck_requests: int = Field(default=0, ge=0)
    submissions: list[str] = Field(default_factory=list)
    shown_code: list[str] = Field(default_factory=list)

    @classmethod
    def from_stored(cls, raw: Any) -> TutorState:
        """The stored value, or a fresh state when there is none or it cannot be read (an old
        or corrupted value must not lock a learner out of the tutor)."""
        if not isinstance(raw, dict):
            return cls()
        try:
            return cls.model_validate(raw)
        except ValidationError:
            return cls()

    def progress(self, exercise_id: str) -> ExerciseProgress:
        """This exercise's progress, created on first use."""
        found = self.exercises.get(exercise_id)
        if found is None:
            found = self.exercises[exercise_id] = ExerciseProgress()
            while len(self.exercises) > MAX_REMEMBERED_EXERCISES:
                oldest = next(k for k in self.exercises if k != self.current_exercise)
                del self.exercises[oldest]
        return found

    def peek(self, exercise_id: str | None) -> ExerciseProgress:
        """This exercise's progress without recording anything (a blank one when unknown)."""
        if exercise_id is None:
            return ExerciseProgress()
        return self.exercises.get(exercise_id) or ExerciseProgress()

    # --- changes: each is safe to apply again to a fresher copy ------------------------------
    def start(self, exercise_id: str) -> None:
        self.current_exercise = exercise_id
        self.progress(exercise_id)

    def reach_rung(self, exercise_id: str, rung: int) -> None:
        progress = self.progress(exercise_id)
        progress.hint_rung = max(progress.hint_rung, min(rung, HINT_RUNGS))

    def record_attempt(self, exercise_id: str, submission_id: str, status: str) -> None:
        progress = self.progress(exercise_id)
        progress.last_status = status
        progress.passed = progress.passed or status == "pass"
        if submission_id in self.submissions:
            return
        progress.attempts += 1
        self.submissions.append(submission_id)
        del self.submissions[:-MAX_REMEMBERED_SUBMISSIONS]

    def remember_shown_code(self, pieces: Sequence[str]) -> None:
        for piece in pieces:
            if piece not in self.shown_code:
                self.shown_code.append(piece)
        while self.shown_code and sum(map(len, self.shown_code)) > MAX_SHOWN_CODE_CHARS:
            self.shown_code.pop(0)

    def count_stuck(self) -> None:
        self.stuck_requests += 1


Change = Callable[[TutorState], None]


class TutorStateStore:
    """Reads and commits tutor state through this app's Dapr sidecar."""

    def __init__(self, sidecar: Mesh) -> None:
        self.sidecar = sidecar

    async def load(self, session_id: str) -> tuple[TutorState, str | None]:
        raw, etag = await self.sidecar.get_state_entry(state_key(session_id))
        return TutorState.from_stored(raw), etag

    async def commit(
        self,
        session_id: str,
        changes: Sequence[Change],
        *,
        base: tuple[TutorState, str | None] | None = None,
    ) -> TutorState:
        """Apply `changes` to the stored state and save it; retried on concurrent writes.

        `base` is the (state, etag) the turn started from, saving one read when nobody else
        wrote in between. Returns the state as saved.
        """
        if not changes:
            return base[0] if base else (await self.load(session_id))[0]

        def decide(raw: Any | None) -> Save[TutorState]:
            state = TutorState.from_stored(raw)
            for change in changes:
                change(state)
            return Save(state.model_dump(mode="json"), state)

        known = (base[0].model_dump(mode="json"), base[1]) if base is not None else None
        return await update_state(
            self.sidecar,
            state_key(session_id),
            decide,
            attempts=COMMIT_ATTEMPTS,
            known=known,
            contended=f"the tutor state of session {session_id!r} kept changing while it was saved "
            f"({COMMIT_ATTEMPTS} attempts); send the message again",
            session_id=session_id,
        )
