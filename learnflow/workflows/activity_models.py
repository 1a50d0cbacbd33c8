"""What every workflow activity takes and returns: the typed side of the JSON on the wire.

An orchestrator builds an activity's input model and `steps.call` sends its
`model_dump(mode="json")` (plus `timeout_s`); the `activities.activity` decorator validates that
JSON into the same model before the activity runs and dumps the output model it returns. The
JSON itself is what daprd records in every instance's history, so it must not change shape:
fields are declared in the order the keys were always sent, and the recorded histories
(tests/data/workflow_histories/) must round-trip through these models unchanged
(tests/learnflow/workflows/test_activity_models.py).

Inputs ignore keys they do not know (`timeout_s`, or a key an older or newer orchestrator
sent): a payload in a history outlives the code that scheduled it.

`ActivitySpec` ties an activity's registered name to its two models, so mypy checks both sides of
the boundary: `call(ctx, step, GRADE, GradeInput(...), timings)` gives a `GradeOutput`, and
`@activity(GRADE)` only accepts a function from `GradeInput` to `GradeOutput`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Generic, TypeVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    RootModel,
    SerializerFunctionWrapHandler,
    field_serializer,
    model_serializer,
)

from learnflow.contracts import SessionSummaryRequest, SessionTally
from learnflow.workflows.models import GradeResult, MasteryChange, SessionMode, SessionState

In = TypeVar("In", bound=BaseModel)
Out = TypeVar("Out", bound=BaseModel)


class ActivitySpec(str, Generic[In, Out]):
    """An activity's registered name, carrying its input and output models.

    A `str`, so it is the name wherever one is expected (registration, `call_activity`, tests
    comparing what was scheduled); the models are for `steps.call` and `activities.activity`.
    """

    input: type[In]
    output: type[Out]

    def __new__(cls, name: str, input: type[In], output: type[Out]) -> ActivitySpec[In, Out]:
        spec = super().__new__(cls, name)
        spec.input = input
        spec.output = output
        return spec


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")


# --- results several activities share ------------------------------------------------------------


class Published(_Wire):
    """An event was queued in the outbox (the relay publishes it)."""

    published: bool


class AlertOpened(_Wire):
    created: bool


# --- the session workflow ------------------------------------------------------------------------


class SessionRef(_Wire):
    session_id: str
    student_id: str


class AnnounceInput(SessionRef):
    mode: SessionMode
    topic: str | None


class StuckAlertInput(SessionRef):
    exercise_id: str
    topic: str
    episode_key: str
    detail: str
    at: AwareDatetime  # sent as `isoformat()` ("+00:00"), as it always was

    @field_serializer("at")
    def _isoformat(self, at: datetime) -> str:
        return at.isoformat()


class StuckAlertRaised(_Wire):
    alert_id: str
    created: bool


class SubmissionRef(_Wire):
    exercise_id: str
    submission_id: str


class GradeInput(SessionRef):
    """Practice grades one submission at once; finalize grades what is pending and the quiz."""

    submissions: list[SubmissionRef] = Field(default_factory=list)
    quiz: dict[str, bool] = Field(default_factory=dict)  # question id -> answered correctly
    quiz_topics: dict[str, str] = Field(default_factory=dict)  # question id -> module id


class QuizScore(_Wire):
    score: int
    total: int


class GradeOutput(_Wire):
    graded: list[GradeResult]
    quizzes: dict[str, QuizScore] = Field(default_factory=dict)  # by module id


class MasteryInput(SessionRef):
    topics: list[str] = Field(default_factory=list)


MasteryChanges = RootModel[dict[str, MasteryChange]]
"""Topic -> its mastery before and after the session (a JSON object keyed by topic)."""


class SummaryInput(_Wire):
    request: SessionSummaryRequest


class SessionDebriefDetails(_Wire):
    """What a session's debrief stores beside its text (`debriefs.details`)."""

    mode: SessionMode
    topic: str | None
    reason: str
    tally: SessionTally
    mastery: dict[str, MasteryChange]
    graded: list[GradeResult]
    practised: list[str]
    mistakes: list[str]
    next_steps: list[str]


class StoreDebriefInput(SessionRef):
    summary: str
    details: SessionDebriefDetails


class DebriefStored(_Wire):
    debrief_id: str
    created: bool


class FinalizedInput(SessionRef):
    reason: str
    debrief_id: str | None


class ExamResultInput(SessionRef):
    """An exam attempt's answers; `session_id` is the attempt's id."""

    exam_id: str
    reason: str
    quiz: dict[str, bool] = Field(default_factory=dict)
    choices: dict[str, int] = Field(default_factory=dict)
    graded: list[GradeResult] = Field(default_factory=list)


class ExamResultStored(_Wire):
    """`{"stored": true|false, "score": n}`, or `{"stored": false, "reason": ...}` when the
    attempt is gone: a key that does not apply is left out, not sent as null."""

    stored: bool
    score: int | None = None
    reason: str | None = None

    @model_serializer(mode="wrap")
    def _without_nulls(self, handler: SerializerFunctionWrapHandler) -> dict[str, object]:
        dumped: dict[str, object] = handler(self)
        return {key: value for key, value in dumped.items() if value is not None}


class FailureInput(_Wire):
    """A step that failed for good, for `ops_alerts`."""

    workflow: str
    instance_id: str
    step: str
    message: str
    # free-form: the ids each workflow finds useful next to the attempts (stored as jsonb)
    details: dict[str, JsonValue] = Field(default_factory=dict)


# --- the publishing workflow ---------------------------------------------------------------------


class ExerciseRef(_Wire):
    exercise_id: str
    class_id: str
    teacher_id: str


class BeginInput(ExerciseRef):
    instance_id: str


class PublicationStatus(_Wire):
    status: str  # the exercise's status after the step (`missing`: it was deleted)


class Indexed(_Wire):
    indexed: bool


class CompensateInput(_Wire):
    exercise_id: str
    reason: str


# --- the enrollment workflow ---------------------------------------------------------------------


class JoinRef(_Wire):
    class_id: str
    student_id: str
    join_id: str


class ProgressInitialised(_Wire):
    topics: int


class Welcomed(_Wire):
    created: bool
    notification_id: str


class ClassFigures(_Wire):
    enrolled: int


# --- live sessions (learnflow.workflows.live) -------------------------------------------------


class ReadLiveInput(_Wire):
    session_id: str = Field(min_length=1)
    close: bool = False  # before finalize: the row takes no event after this read


class LiveRead(_Wire):
    state: SessionState | None  # None: no live row (no learner event to take)
