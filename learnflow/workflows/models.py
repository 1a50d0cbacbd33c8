"""What flows into, through and out of LearnFlow's workflows (all plain JSON on the wire).

Everything an orchestrator decides on is in its input or in its history, never in settings or
clocks: `Timings` is read from the settings once, when an instance starts, and travels with it
(through every continue-as-new), so a replay after a restart takes the same decisions even if the
configuration changed in between.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from learnflow.contracts import SessionTally
from learnflow.progress.mastery import Level
from learnflow.settings import Settings

SessionMode = Literal["practice", "exam"]
EventKind = Literal["message", "code_run", "submission", "quiz_answer", "heartbeat", "finalize"]
SessionPhase = Literal["active", "finalizing", "finalized", "failed"]

SEEN_IDS_KEPT = 256
"""Event ids a session remembers for dedupe (a redelivery arrives long before 256 newer ones)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Timings(_Model):
    """Durations and retry bounds of one workflow instance (see the `workflow_*` settings)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    stuck_after_s: float = 600
    idle_finalize_after_s: float = 3600
    active_gap_s: float = 300
    events_per_generation: int = 25
    activity_timeout_s: float = 45
    retry_max_attempts: int = 4
    retry_first_interval_s: float = 2
    retry_backoff: float = 2
    retry_max_interval_s: float = 30

    @classmethod
    def from_settings(cls, settings: Settings) -> Timings:
        return cls(
            stuck_after_s=settings.workflow_stuck_after_s,
            idle_finalize_after_s=settings.workflow_idle_finalize_after_s,
            active_gap_s=settings.workflow_active_gap_s,
            events_per_generation=settings.workflow_events_per_generation,
            activity_timeout_s=settings.workflow_activity_timeout_s,
            retry_max_attempts=settings.workflow_retry_max_attempts,
            retry_first_interval_s=settings.workflow_retry_first_interval_s,
            retry_max_interval_s=settings.workflow_retry_max_interval_s,
        )


# --- the session workflow ------------------------------------------------------------------------


class SessionEvent(_Model):
    """One event raised on a session (workflow event `session_event`); `id` makes it idempotent.

    `at` is when LearnFlow received it (set by the route or the producer), so time on task is
    measured from the learner's clock of events even when delivery was late.
    """

    id: str = Field(min_length=1, max_length=200)
    kind: EventKind
    at: AwareDatetime
    exercise_id: str | None = Field(default=None, max_length=200)
    # message: whether it asked for a hint / said "I'm stuck" (the text stays out of history)
    hint: bool = False
    confused: bool = False
    # code_run: the runner's verdict on a free run
    passed: bool | None = None
    error_type: str | None = Field(default=None, max_length=100)
    # submission: the stored code_submissions row to grade
    submission_id: str | None = Field(default=None, max_length=100)
    # quiz_answer: graded by the route against the curriculum
    question_id: str | None = Field(default=None, max_length=200)
    quiz_topic: str | None = Field(default=None, max_length=100)
    correct: bool | None = None
    choice: int | None = Field(default=None, ge=0, le=9)  # exam: kept for the debrief
    # finalize
    reason: str | None = Field(default=None, max_length=100)

    @model_validator(mode="after")
    def _fields_of_kind(self) -> SessionEvent:
        if self.kind == "submission" and not (self.submission_id and self.exercise_id):
            raise ValueError("a submission needs submission_id and exercise_id")
        if self.kind == "quiz_answer" and (self.question_id is None or self.correct is None):
            raise ValueError("a quiz answer needs question_id and correct")
        if self.kind == "code_run" and self.passed is None:
            raise ValueError("a code run needs passed")
        return self


class GradeResult(_Model):
    """The code runner's verdict on one submission, as stored in exercise_attempts."""

    exercise_id: str
    submission_id: str
    status: str  # pass | fail | error (Exercism) or "unknown_exercise"
    passed: bool
    tests_passed: int = 0
    tests_total: int = 0
    score: float = 0.0
    message: str | None = None


class MasteryChange(_Model):
    """One topic's mastery before and after a session (`before` is None for a first session)."""

    before: int | None
    after: int
    level: Level


class FinalizeOutcome(_Model):
    reason: str
    graded: list[GradeResult] = Field(default_factory=list)
    mastery: dict[str, MasteryChange] = Field(default_factory=dict)
    summary: str | None = None
    debrief_id: str | None = None


class StepFailure(_Model):
    step: str
    error: str
    attempts: int


class SessionState(_Model):
    """Everything a session carries from one event (and one generation) to the next."""

    session_id: str
    student_id: str
    mode: SessionMode
    topic: str | None = None
    exercise_ids: list[str] = Field(default_factory=list)
    started_at: AwareDatetime
    deadline: AwareDatetime | None = None
    exam_id: str | None = None  # an exam attempt (the session id is the attempt's id)
    # whether quiet time on an exercise raises a "stuck" alert to the teacher: exams start with
    # False (an exam gives no help); True by default, which is also how instances recorded before
    # the field existed replay (their histories hold the alert)
    stuck_alerts: bool = True
    # whether learner events go to the live projection (learnflow.workflows.live) instead of the
    # workflow: False is how instances recorded before the projection existed replay
    live: bool = False
    timings: Timings = Field(default_factory=Timings)

    generation: int = 0
    phase: SessionPhase = "active"
    announced: bool = False
    tally: SessionTally = Field(default_factory=SessionTally)
    current_exercise: str | None = None
    exercise_since: AwareDatetime | None = None
    last_work_at: AwareDatetime | None = None
    last_event_at: AwareDatetime | None = None
    stuck_episodes: list[str] = Field(default_factory=list)
    pending: dict[str, str] = Field(default_factory=dict)  # exercise id -> submission id
    last_result: GradeResult | None = None
    quiz: dict[str, bool] = Field(default_factory=dict)  # question id -> answered correctly
    quiz_topics: dict[str, str] = Field(default_factory=dict)  # question id -> module id
    choices: dict[str, int] = Field(default_factory=dict)  # question id -> choice (exams)
    graded_ids: list[str] = Field(default_factory=list)  # live mode: submissions already graded
    seen_ids: list[str] = Field(default_factory=list)
    events: int = 0
    events_in_generation: int = 0
    late_events: int = 0
    finalize_reason: str | None = None
    outcome: FinalizeOutcome | None = None
    failure: StepFailure | None = None

    @property
    def stuck_after(self) -> timedelta:
        return timedelta(seconds=self.timings.stuck_after_s)


class SessionView(_Model):
    """A session's live state: the workflow's custom status, served by `GET /sessions/{id}`."""

    session_id: str
    student_id: str
    mode: SessionMode
    topic: str | None
    phase: SessionPhase
    started_at: datetime
    deadline: datetime | None
    exam_id: str | None = None
    answered: list[str] = Field(default_factory=list)  # quiz questions and exercises answered
    # exams only (empty otherwise): the choice held per question, the submission per exercise,
    # so a reloaded exam page shows the answers the workflow will grade
    choices: dict[str, int] = Field(default_factory=dict)
    saved: dict[str, str] = Field(default_factory=dict)
    generation: int
    events: int
    late_events: int
    tally: SessionTally
    current_exercise: str | None
    pending_submissions: int
    graded: list[str] = Field(default_factory=list)  # live mode: submission ids graded so far
    last_result: GradeResult | None
    struggles: list[str]
    finalize_reason: str | None
    outcome: FinalizeOutcome | None
    failure: StepFailure | None

    @classmethod
    def of(cls, state: SessionState) -> SessionView:
        return cls(
            session_id=state.session_id,
            student_id=state.student_id,
            mode=state.mode,
            topic=state.topic,
            phase=state.phase,
            started_at=state.started_at,
            deadline=state.deadline,
            exam_id=state.exam_id,
            answered=sorted({*state.quiz, *state.tally.exercises_attempted}),
            choices=dict(state.choices) if state.exam_id is not None else {},
            saved=dict(state.pending) if state.exam_id is not None else {},
            generation=state.generation,
            events=state.events,
            late_events=state.late_events,
            tally=state.tally,
            current_exercise=state.current_exercise,
            pending_submissions=len(state.pending),
            graded=list(state.graded_ids),
            last_result=state.last_result,
            struggles=list(state.stuck_episodes),
            finalize_reason=state.finalize_reason,
            outcome=state.outcome,
            failure=state.failure,
        )


# --- the exercise publishing workflow --------------------------------------------------------


PublishStep = Literal[
    "validating", "indexing", "marking_ready", "notifying", "compensating", "ready", "draft"
]


class PublishInput(_Model):
    exercise_id: str
    class_id: str
    teacher_id: str
    timings: Timings = Field(default_factory=Timings)


class ValidationReport(_Model):
    ok: bool
    reason: str | None = None
    reference_status: str | None = None
    starter_status: str | None = None
    tests_total: int = 0
    repeatable: bool | None = Field(
        default=None, description="The reference solution's tests gave the same result twice."
    )


class PublishView(_Model):
    """The publishing workflow's custom status and output."""

    exercise_id: str
    class_id: str
    step: PublishStep
    reason: str | None = None
    validation: ValidationReport | None = None
    failure: StepFailure | None = None


# --- the enrollment workflow ---------------------------------------------------------------------


class EnrollInput(_Model):
    """One join of a class (`join_id` is fresh per join, so a re-join after removal runs again)."""

    class_id: str
    student_id: str
    join_id: str
    timings: Timings = Field(default_factory=Timings)


EnrollStep = Literal["progress", "welcome", "figures", "done"]


class EnrollView(_Model):
    class_id: str
    student_id: str
    step: EnrollStep = "progress"
    topics_initialised: int | None = None
    welcomed: bool | None = None
    enrolled: int | None = None
    failure: StepFailure | None = None
