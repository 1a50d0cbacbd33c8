"""Is a student struggling? The design's five triggers, once per episode (pure: no I/O, no clock).

A consumer keeps one `ActivityState` per student (it serialises to JSON), feeds it every activity
in time order with `observe()`, and calls `tick()` now and then for the one trigger that can fire
without new activity (stuck on an exercise). Each `Detection` carries an `episode_key`; writing
alerts with `episode_key` unique makes replays and duplicate deliveries harmless, because the key
depends only on the activities, never on when they were processed.

| trigger             | fires when                                  | the episode ends when       |
|---------------------|---------------------------------------------|-----------------------------|
| `repeated_error`    | the 3rd failed run with the same error type | the study stretch ends      |
| `stuck_on_exercise` | activity > 10 min after the first activity  | the exercise passes graded, |
|                     | on the current exercise, still not passed   | or the student moves on     |
| `low_quiz_score`    | a quiz under 50% (2/5 fires, 5/10 does not) | a quiz on the topic ≥ 50%   |
| `says_confused`     | the 2nd "I don't understand"/"I'm stuck"    | a graded exercise passes    |
|                     | message or close variant (`says_confused`)  |                             |
| `failed_run_streak` | the 5th failed run in a row                 | a run passes                |

Every episode also ends with the *study stretch* (docs/glossary.md; not a learning session, which
the rules do not see): a gap of more than `STRETCH_GAP` (60 min) without any activity ends it.
Inside one episode a trigger fires once: the 4th TypeError or the 6th failed run in a row is part
of the same episode and fires nothing; after the episode ends, the next one can fire
again (with a new key: the key holds the time the episode started).

Error types come from the runner (`TypeError`, `timeout`, …); a failed graded run without one
counts as `wrong_answer`. A failed free run without an error type counts only toward the streak.
`tick(now)` reports "stuck" only while the student is active (some activity within
`ACTIVE_WINDOW`, 5 min), so an abandoned tab raises no alert.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class StruggleTrigger(StrEnum):
    REPEATED_ERROR = "repeated_error"
    STUCK_ON_EXERCISE = "stuck_on_exercise"
    LOW_QUIZ_SCORE = "low_quiz_score"
    SAYS_CONFUSED = "says_confused"
    FAILED_RUN_STREAK = "failed_run_streak"


REPEATED_ERROR_COUNT = 3
STUCK_AFTER = timedelta(minutes=10)
LOW_QUIZ_PERCENT = 50
CONFUSED_COUNT = 2
FAILED_RUN_STREAK = 5
STRETCH_GAP = timedelta(minutes=60)
ACTIVE_WINDOW = timedelta(minutes=5)
WRONG_ANSWER = "wrong_answer"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- activities (what the consumers feed in) ----------------------------------------------------


class CodeRun(_Model):
    """One execution of the student's code.

    `graded`: the run executed an exercise's hidden tests, and `passed` means they all passed;
    otherwise `passed` means the program finished without an error.
    """

    kind: Literal["code_run"] = "code_run"
    at: AwareDatetime
    passed: bool
    graded: bool = False
    exercise_id: str | None = None
    topic: str | None = None
    error_type: str | None = None


class QuizTaken(_Model):
    kind: Literal["quiz_taken"] = "quiz_taken"
    at: AwareDatetime
    topic: str
    score: int = Field(ge=0)
    total: int = Field(gt=0)


class StudentSaid(_Model):
    kind: Literal["student_said"] = "student_said"
    at: AwareDatetime
    text: str
    topic: str | None = None
    exercise_id: str | None = None


class ExerciseOpened(_Model):
    kind: Literal["exercise_opened"] = "exercise_opened"
    at: AwareDatetime
    exercise_id: str
    topic: str | None = None


Activity = CodeRun | QuizTaken | StudentSaid | ExerciseOpened


# --- state ----------------------------------------------------------------------------------------


class Episode(_Model):
    started_at: AwareDatetime
    count: int = 0
    fired: bool = False


class ExerciseWork(_Model):
    exercise_id: str
    topic: str | None
    started_at: AwareDatetime
    fired: bool = False


class ActivityState(_Model):
    """What the struggle rules remember about one student. Serialise it with `model_dump_json`."""

    student_id: str
    last_activity_at: AwareDatetime | None = None
    topic: str | None = None
    error_types: dict[str, Episode] = Field(default_factory=dict)
    failed_runs: Episode | None = None
    confusion: Episode | None = None
    low_quiz: dict[str, Episode] = Field(default_factory=dict)
    exercise: ExerciseWork | None = None
    solved: tuple[str, ...] = ()  # exercises passed this study stretch: no "stuck" on them


class Detection(_Model):
    trigger: StruggleTrigger
    student_id: str
    topic: str | None
    episode_key: str
    detail: str
    at: AwareDatetime


def episode_key(trigger: StruggleTrigger, student_id: str, scope: str, started_at: datetime) -> str:
    """Stable id of one episode: the same activities always give the same key."""
    started = started_at.astimezone(UTC).isoformat(timespec="microseconds")
    return f"{trigger.value}:{student_id}:{scope}:{started}"


# --- "I don't understand" / "I'm stuck" -----------------------------------------------------------

_UNDERSTAND = r"(?:u\w{0,3}nd\w{0,3}st\w{0,4}|get (?:it|this|that|what|how|why|the)|follow)"
_CANT = r"(?:dont|do not|didnt|did not|doesnt|does not|cant|cannot|can not|couldnt|could not)"
_MUCH = r"(?:so|really|totally|completely|still|kinda|kind of|very|super|a bit|a little|pretty)"
_CONFUSED = [
    re.compile(rf"\b{_CANT} (?:{_MUCH} |quite |fully |even )*{_UNDERSTAND}\b"),
    re.compile(
        rf"(?<!not )(?<!no longer )\b(?:i m|im|i am|i feel|feeling|got|getting|get|keep getting"
        rf"|{_MUCH}) (?:{_MUCH} )*(?:stuck|lost|confused)\b"
    ),
    re.compile(
        r"\b(?:makes no sense|(?:doesnt|does not|dont|do not) make (?:any )?sense"
        r"|no idea (?:what|how|why)|i have no idea|no clue"
        r"|(?:this|it) is (?:so |really |very )?confusing"
        r"|so confusing|i give up|i am lost|im lost)\b"
    ),
    re.compile(rf"^(?:(?:{_MUCH}|again|help) )*(?:stuck|lost|confused)(?: again| here| now)?$"),
]


def _normalise(text: str) -> str:
    text = text.lower().replace("’", "'").replace("‘", "'").replace("`", "'")
    text = text.replace("'", "")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def says_confused(text: str) -> bool:
    """Whether a message says "I don't understand" / "I'm stuck" or a close variant."""
    normal = _normalise(text)
    return any(pattern.search(normal) for pattern in _CONFUSED)


# --- the rules ------------------------------------------------------------------------------------


def observe(state: ActivityState, activity: Activity) -> tuple[ActivityState, list[Detection]]:
    """Apply one activity (in time order); return the new state and any triggers that fired."""
    state = _start_stretch_if_idle(state, activity.at)
    topic = activity.topic or state.topic
    state = state.model_copy(update={"topic": topic, "last_activity_at": _latest(state, activity)})
    detections: list[Detection] = []
    if isinstance(activity, CodeRun):
        state = _on_code_run(state, activity, topic, detections)
    elif isinstance(activity, QuizTaken):
        state = _on_quiz(state, activity, detections)
    elif isinstance(activity, StudentSaid):
        state = _on_message(state, activity, topic, detections)
    else:
        state = _work_on(state, activity.exercise_id, topic, activity.at)
    state = _check_stuck(state, activity.at, detections)
    return state, detections


def tick(state: ActivityState, now: datetime) -> tuple[ActivityState, list[Detection]]:
    """Check the time-based trigger without new activity (call it every minute or so)."""
    last = state.last_activity_at
    if last is None or now - last > ACTIVE_WINDOW:
        return state, []
    detections: list[Detection] = []
    return _check_stuck(state, now, detections), detections


def _latest(state: ActivityState, activity: Activity) -> datetime:
    last = state.last_activity_at
    return activity.at if last is None or activity.at > last else last


def _start_stretch_if_idle(state: ActivityState, at: datetime) -> ActivityState:
    last = state.last_activity_at
    if last is None or at - last <= STRETCH_GAP:
        return state
    return ActivityState(student_id=state.student_id, last_activity_at=last, topic=state.topic)


def _detect(
    state: ActivityState,
    trigger: StruggleTrigger,
    *,
    scope: str,
    started_at: datetime,
    at: datetime,
    topic: str | None,
    detail: str,
) -> Detection:
    return Detection(
        trigger=trigger,
        student_id=state.student_id,
        topic=topic,
        episode_key=episode_key(trigger, state.student_id, scope, started_at),
        detail=detail,
        at=at,
    )


def _bump(episode: Episode | None, at: datetime) -> Episode:
    if episode is None:
        return Episode(started_at=at, count=1)
    return episode.model_copy(update={"count": episode.count + 1})


def _on_code_run(
    state: ActivityState, run: CodeRun, topic: str | None, out: list[Detection]
) -> ActivityState:
    if run.exercise_id is not None:
        state = _work_on(state, run.exercise_id, topic, run.at)
    if run.passed:
        update: dict[str, object] = {"failed_runs": None}
        if run.graded:
            update["confusion"] = None
            if run.exercise_id is not None and run.exercise_id not in state.solved:
                update["solved"] = (*state.solved, run.exercise_id)
            if state.exercise is not None and state.exercise.exercise_id == run.exercise_id:
                update["exercise"] = None
        return state.model_copy(update=update)

    streak = _bump(state.failed_runs, run.at)
    if streak.count >= FAILED_RUN_STREAK and not streak.fired:
        streak = streak.model_copy(update={"fired": True})
        out.append(
            _detect(
                state,
                StruggleTrigger.FAILED_RUN_STREAK,
                scope="runs",
                started_at=streak.started_at,
                at=run.at,
                topic=topic,
                detail=f"{streak.count} failed runs in a row"
                + (f" (latest on {run.exercise_id})" if run.exercise_id else "")
                + ".",
            )
        )
    state = state.model_copy(update={"failed_runs": streak})

    error_type = run.error_type or (WRONG_ANSWER if run.graded else None)
    if error_type is None:
        return state
    episode = _bump(state.error_types.get(error_type), run.at)
    if episode.count >= REPEATED_ERROR_COUNT and not episode.fired:
        episode = episode.model_copy(update={"fired": True})
        out.append(
            _detect(
                state,
                StruggleTrigger.REPEATED_ERROR,
                scope=error_type,
                started_at=episode.started_at,
                at=run.at,
                topic=topic,
                detail=f"{error_type} {episode.count} times this session"
                + (f", latest on {run.exercise_id}" if run.exercise_id else "")
                + ".",
            )
        )
    return state.model_copy(update={"error_types": {**state.error_types, error_type: episode}})


def _on_quiz(state: ActivityState, quiz: QuizTaken, out: list[Detection]) -> ActivityState:
    if quiz.score * 100 >= LOW_QUIZ_PERCENT * quiz.total:
        low = {t: e for t, e in state.low_quiz.items() if t != quiz.topic}
        return state.model_copy(update={"low_quiz": low})
    episode = _bump(state.low_quiz.get(quiz.topic), quiz.at)
    if not episode.fired:
        episode = episode.model_copy(update={"fired": True})
        percent = 100 * quiz.score / quiz.total
        out.append(
            _detect(
                state,
                StruggleTrigger.LOW_QUIZ_SCORE,
                scope=quiz.topic,
                started_at=episode.started_at,
                at=quiz.at,
                topic=quiz.topic,
                detail=f"Scored {quiz.score}/{quiz.total} ({percent:.0f}%)"
                f" on the {quiz.topic} quiz.",
            )
        )
    return state.model_copy(update={"low_quiz": {**state.low_quiz, quiz.topic: episode}})


def _on_message(
    state: ActivityState, message: StudentSaid, topic: str | None, out: list[Detection]
) -> ActivityState:
    if message.exercise_id is not None:
        state = _work_on(state, message.exercise_id, topic, message.at)
    if not says_confused(message.text):
        return state
    episode = _bump(state.confusion, message.at)
    if episode.count >= CONFUSED_COUNT and not episode.fired:
        episode = episode.model_copy(update={"fired": True})
        quote = " ".join(message.text.split())
        quote = quote if len(quote) <= 120 else quote[:119] + "…"
        out.append(
            _detect(
                state,
                StruggleTrigger.SAYS_CONFUSED,
                scope="messages",
                started_at=episode.started_at,
                at=message.at,
                topic=topic,
                detail=f"Said they are stuck or lost {episode.count} times, latest: “{quote}”",
            )
        )
    return state.model_copy(update={"confusion": episode})


def _work_on(
    state: ActivityState, exercise_id: str, topic: str | None, at: datetime
) -> ActivityState:
    current = state.exercise
    if exercise_id in state.solved or (current is not None and current.exercise_id == exercise_id):
        return state
    work = ExerciseWork(exercise_id=exercise_id, topic=topic, started_at=at)
    return state.model_copy(update={"exercise": work})


def _check_stuck(state: ActivityState, now: datetime, out: list[Detection]) -> ActivityState:
    work = state.exercise
    if work is None or work.fired or now - work.started_at <= STUCK_AFTER:
        return state
    minutes = int((now - work.started_at).total_seconds() // 60)
    out.append(
        _detect(
            state,
            StruggleTrigger.STUCK_ON_EXERCISE,
            scope=work.exercise_id,
            started_at=work.started_at,
            at=now,
            topic=work.topic or state.topic,
            detail=f"On {work.exercise_id} for {minutes} min without passing it.",
        )
    )
    return state.model_copy(update={"exercise": work.model_copy(update={"fired": True})})
