"""Request and response models of the debrief app's routes (internal: reached through Dapr)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from learnflow.progress.mastery import Level

# --- progress ------------------------------------------------------------------------------------


class TopicProgress(BaseModel):
    """One topic (curriculum module) of a student: mastery 0–100 and its components."""

    topic: str
    module_number: int | None = None
    title: str
    label: str = Field(description='Dashboard line, e.g. "Module 2: Control Flow — 60%".')
    mastery: int
    level: Level
    level_label: str
    exercise_score: float = 0.0
    quiz_score: float = 0.0
    code_quality_score: float = 0.0
    streak_days: int = 0
    last_activity_at: datetime | None = None
    started: bool = False


class StudentProgress(BaseModel):
    student_id: UUID
    display_name: str
    overall_mastery: int = Field(description="Mean mastery over the curriculum's modules.")
    topics: list[TopicProgress]

    def topic(self, topic: str) -> TopicProgress | None:
        return next((t for t in self.topics if t.topic == topic), None)

    @property
    def started(self) -> list[TopicProgress]:
        return [t for t in self.topics if t.started]


class ExerciseCard(BaseModel):
    """An exercise as a student may see it: no tests, no solution, no hints."""

    exercise_id: str
    title: str
    topic: str
    topic_title: str
    difficulty: str
    prompt: str
    starter: str
    source: Literal["curriculum", "assignment"] = "curriculum"


class NextExercise(BaseModel):
    student_id: UUID
    exercise: ExerciseCard | None
    reason: str


# --- alerts and classes --------------------------------------------------------------------------


class AlertView(BaseModel):
    id: UUID
    student_id: UUID
    student_name: str
    topic: str | None
    topic_title: str | None
    trigger: str
    detail: str
    status: str
    created_at: datetime
    resolved_at: datetime | None = None
    resolved_by: UUID | None = None


class ClassSummary(BaseModel):
    id: UUID
    name: str
    teacher_id: UUID
    students: int


class ClassStudent(BaseModel):
    id: UUID
    display_name: str
    email: str
    average_mastery: int = Field(description="Mean over the curriculum's modules (0 unstarted).")
    mastery: dict[str, int] = Field(description="topic -> mastery, for started topics.")
    open_alerts: int
    last_activity_at: datetime | None = None
    removed_at: datetime | None = Field(
        default=None, description="Taken off the roster (reports keep their past work)."
    )


class ClassTopic(BaseModel):
    topic: str
    title: str
    average_mastery: int = Field(description="Mean over the class's students (0 unstarted).")
    students_started: int


class ClassOverview(BaseModel):
    id: UUID
    name: str
    teacher_id: UUID
    teacher_name: str
    students: list[ClassStudent]
    topics: list[ClassTopic]
    open_alerts: int


# --- reports -------------------------------------------------------------------------------------


class QuizBest(BaseModel):
    topic: str
    score: int
    total: int
    attempts: int


class StudentReport(BaseModel):
    """A teacher's report on one student, from stored data; `summary` is the agent's prose."""

    student: StudentProgress
    summary: str
    runs: int
    failed_runs: int
    error_types: dict[str, int]
    exercises_passed: list[str]
    exercises_unsolved: list[str]
    quizzes: list[QuizBest]
    open_alerts: list[AlertView]
    recent_debriefs: list[str]
    next_exercise: NextExercise


class AttentionItem(BaseModel):
    student_id: UUID
    display_name: str
    reasons: list[str]


class ModuleSpread(BaseModel):
    """How many of the class's students are at each level of one module."""

    topic: str
    title: str
    not_started: int
    beginner: int
    learning: int
    proficient: int
    mastered: int


class FailedExercise(BaseModel):
    exercise_id: str
    title: str
    topic: str | None
    topic_title: str | None
    failed_attempts: int
    attempts: int
    students_failed: int
    students_passed: int


class StudentTime(BaseModel):
    seconds: int = Field(description="Gaps of at most the active gap between actions, summed.")
    actions: int = 0
    active_days: int = 0
    last_action_at: datetime | None = None


class ReportStudent(BaseModel):
    """One row of a class report: a student (also one removed from the roster) and their work."""

    student_id: UUID
    display_name: str
    email: str
    removed: bool
    average_mastery: int
    mastery: dict[str, int]
    open_alerts: int
    exercises_passed: int
    failed_attempts: int
    time_on_task: StudentTime
    needs_help: list[str]


class ModuleRecord(BaseModel):
    """One module of a student's own progress report."""

    topic: str
    title: str
    mastery: int
    level: Level
    started: bool
    exercises_passed: int
    failed_attempts: int
    best_quiz: str | None = Field(default=None, description='e.g. "4/5", the best attempt')
    time_on_task_s: int = 0


class StudentProgressReport(BaseModel):
    """What a student downloads about their own work (also readable by their teacher)."""

    student_id: UUID
    display_name: str
    generated_at: datetime
    overall_mastery: int
    time_on_task: StudentTime
    active_gap_s: float
    modules: list[ModuleRecord]


class ClassReport(BaseModel):
    overview: ClassOverview
    summary: str
    needs_attention: list[AttentionItem]
    strongest_topic: str | None
    weakest_topic: str | None
    generated_at: datetime | None = None
    active_gap_s: float = Field(default=300, description="Longest gap counted as time on task.")
    mastery_spread: list[ModuleSpread] = Field(default_factory=list)
    most_failed: list[FailedExercise] = Field(default_factory=list)
    students: list[ReportStudent] = Field(
        default_factory=list, description="Every student ever enrolled, removed ones included."
    )
    time_on_task_s: int = 0


# --- quizzes -------------------------------------------------------------------------------------


class QuizAttemptIn(BaseModel):
    """`POST /quizzes/attempts` (the tutor, once a quiz is graded). `attempt_id` is the
    idempotency key: send the same one again and nothing changes."""

    model_config = ConfigDict(extra="forbid")

    attempt_id: str = Field(min_length=1, max_length=200)
    user_id: str = Field(min_length=1, max_length=100)
    topic: str = Field(min_length=1, max_length=100)
    quiz_id: str = Field(min_length=1, max_length=200)
    score: int = Field(ge=0)
    total: int = Field(gt=0)
    answers: Any = None
    session_id: str | None = Field(default=None, max_length=200)
    at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _score_within_total(self) -> QuizAttemptIn:
        if self.score > self.total:
            raise ValueError(f"score {self.score} is more than the total {self.total}")
        return self


class QuizAttemptOut(BaseModel):
    attempt_id: str
    recorded: bool = Field(description="False when this attempt id was recorded before.")
    progress: TopicProgress | None = None
