"""What the tutor's tools and guardrail share during one turn (the SDK run context)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from learnflow.curriculum import Catalog, Exercise, Hint
from learnflow.errors import NotFound

from .exercises import find_exercise
from .grading import Grader, GradeResult
from .state import Change, TutorState

__all__ = ["GradedSubmission", "TutorContext"]


@dataclass(frozen=True)
class GradedSubmission:
    """A grading done during the turn; published as `exercise.graded` when it is the learner's
    own code (never code a model wrote)."""

    exercise: Exercise
    submission_id: str
    result: GradeResult
    quality: int | None
    learners_code: bool
    code_chars: int = 0


@dataclass
class TutorContext:
    """One turn of one session: the curriculum, the grader, the session state and its changes."""

    catalog: Catalog
    state: TutorState
    grader: Grader | None = None
    session_id: str | None = None
    user_id: str | None = None
    message_id: str | None = None
    intent: str | None = None
    learner_message: str = ""
    learner_code: str | None = None
    mastery: Mapping[str, float] = field(default_factory=dict)
    offline: bool = True
    changes: list[Change] = field(default_factory=list)
    graded: list[GradedSubmission] = field(default_factory=list)
    in_play: set[str] = field(default_factory=set)
    #: Lessons a tool pointed the learner to this turn (an error's lesson sections).
    cited_lessons: list[str] = field(default_factory=list)
    hint_given_this_turn: bool = False
    #: The behavioural leak check's time limit (`Settings.tutor_leak_check_timeout_s`).
    leak_check_timeout_s: float = 4.0

    def change(self, change: Change) -> None:
        """Apply `change` to this turn's state and remember it for the commit."""
        change(self.state)
        self.changes.append(change)

    def exercise(self, exercise_id: str) -> Exercise:
        return find_exercise(self.catalog, exercise_id)

    @property
    def current_exercise(self) -> Exercise | None:
        if self.state.current_exercise is None:
            return None
        try:
            return self.catalog.exercise(self.state.current_exercise)
        except NotFound:
            return None

    def start(self, exercise: Exercise) -> None:
        self.in_play.add(exercise.id)
        if self.state.current_exercise != exercise.id:
            exercise_id = exercise.id
            self.change(lambda state: state.start(exercise_id))

    def hint(self, exercise: Exercise, wanted: int | None = None) -> tuple[int, Hint | None, str]:
        """The hint to show now: (rung, hint, note). One new rung per turn at most: asking for a
        higher rung gives the next one; asking again in the same turn repeats it; after the last
        rung there is nothing more (`hint` is None)."""
        self.in_play.add(exercise.id)
        rungs = exercise.hints.rungs
        reached = self.state.peek(exercise.id).hint_rung
        allowed = reached if self.hint_given_this_turn else reached + 1
        if reached >= len(rungs) and (wanted is None or wanted > len(rungs)):
            return len(rungs), None, "every hint has been given"
        rung = allowed if wanted is None else max(1, min(wanted, allowed))
        rung = min(rung, len(rungs))
        note = ""
        if wanted is not None and wanted > rung:
            note = f"hints come one rung at a time: this is rung {rung} of {len(rungs)}"
        if rung > reached:
            exercise_id = exercise.id
            self.change(lambda state: state.reach_rung(exercise_id, rung))
            self.hint_given_this_turn = True
        return rung, rungs[rung - 1], note
