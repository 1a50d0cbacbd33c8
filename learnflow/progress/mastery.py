"""Mastery of one topic, 0–100, from a student's attempts (pure: no I/O, no clock).

    mastery = 40% exercises + 30% quizzes + 20% code quality + 10% consistency

Each component is a score from 0 to 100:

- **exercises**: the best score (0–100) the student reached on each *distinct* exercise of the
  topic; the `EXERCISE_TARGET` (5) highest of those bests are summed and divided by 5. Solving five
  different exercises perfectly gives 100; retrying one exercise can raise only that exercise's
  best, never count twice; failed attempts never lower a best.
- **quizzes**: the best attempt on the topic's quiz, as a percentage (4/5 → 80). The struggle
  rules (`learnflow.progress.struggle`) watch low scores; mastery keeps what was shown.
- **code quality**: the mean quality score (0–100) of the tutor's `QUALITY_WINDOW` (5) most recent
  code reviews on the topic, so it follows how the student writes code now.
- **consistency**: the current streak of consecutive active days on the topic (UTC dates with an
  exercise attempt, quiz attempt or code submission), ending today — or yesterday, as a streak is
  only broken by a whole missed day — capped at `STREAK_CAP` (7): `min(streak, 7) / 7 * 100`.

A component with no data is 0.

**Rounding, defined once** (`round_half_up`): components are kept to two decimals, half up;
mastery is the exact weighted sum of those, rounded half up to an integer; the level is read
from that integer. So 40.49 → 40 (Beginner), 40.5 → 41 (Learning), 90.5 → 91 (Mastered).
Levels: 0–40 Beginner, 41–70 Learning, 71–90 Proficient, 91–100 Mastered.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

WEIGHTS: dict[str, int] = {"exercises": 40, "quizzes": 30, "code_quality": 20, "consistency": 10}
EXERCISE_TARGET = 5
QUALITY_WINDOW = 5
STREAK_CAP = 7


class Level(StrEnum):
    BEGINNER = "beginner"
    LEARNING = "learning"
    PROFICIENT = "proficient"
    MASTERED = "mastered"

    @property
    def label(self) -> str:
        return self.value.capitalize()


# (highest mastery of the level, level), in increasing order
LEVEL_CEILINGS: tuple[tuple[int, Level], ...] = (
    (40, Level.BEGINNER),
    (70, Level.LEARNING),
    (90, Level.PROFICIENT),
    (100, Level.MASTERED),
)


def round_half_up(value: float | Decimal, places: int = 0) -> Decimal:
    """The one rounding rule of this module: decimal half-up (not banker's rounding).

    Floats are read through their shortest repr, so 40.5 is exactly 40.5, not 40.4999….
    """
    exact = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _score(value: float | Decimal) -> float:
    """A component value: clamped to 0–100, rounded to two decimals."""
    clamped = min(Decimal(100), max(Decimal(0), Decimal(repr(float(value)))))
    return float(round_half_up(clamped, 2))


@dataclass(frozen=True)
class ExerciseResult:
    exercise_id: str
    score: float  # 0–100 (share of hidden tests passed, as graded)


@dataclass(frozen=True)
class QuizResult:
    score: int
    total: int

    @property
    def percent(self) -> float:
        return 0.0 if self.total <= 0 else 100.0 * self.score / self.total


@dataclass(frozen=True)
class MasteryInputs:
    """Everything mastery is derived from, for one student and one topic."""

    exercises: Sequence[ExerciseResult] = ()
    quizzes: Sequence[QuizResult] = ()
    review_scores: Sequence[float] = ()  # oldest first
    active_days: frozenset[date] = frozenset()


@dataclass(frozen=True)
class Components:
    exercises: float = 0.0
    quizzes: float = 0.0
    code_quality: float = 0.0
    consistency: float = 0.0


@dataclass(frozen=True)
class MasteryBreakdown:
    components: Components
    streak_days: int
    mastery: int
    level: Level


def exercise_component(
    results: Iterable[ExerciseResult], *, target: int = EXERCISE_TARGET
) -> float:
    best: dict[str, float] = {}
    for result in results:
        best[result.exercise_id] = max(best.get(result.exercise_id, 0.0), result.score)
    top = sorted((_score(s) for s in best.values()), reverse=True)[:target]
    return _score(sum(top) / target) if top else 0.0


def quiz_component(results: Iterable[QuizResult]) -> float:
    return max((_score(r.percent) for r in results), default=0.0)


def code_quality_component(
    review_scores: Sequence[float], *, window: int = QUALITY_WINDOW
) -> float:
    recent = list(review_scores)[-window:]
    return _score(sum(_score(s) for s in recent) / len(recent)) if recent else 0.0


def streak_days(active_days: Iterable[date], *, today: date) -> int:
    """Consecutive active days ending today, or ending yesterday if today has no activity yet."""
    days = set(active_days)
    day = today if today in days else today - timedelta(days=1)
    count = 0
    while day in days:
        count += 1
        day -= timedelta(days=1)
    return count


def consistency_component(streak: int, *, cap: int = STREAK_CAP) -> float:
    return _score(100 * min(max(streak, 0), cap) / cap)


def mastery_score(components: Components) -> int:
    """The weighted sum of the (two-decimal) components, rounded half up to an integer."""
    parts = {
        "exercises": components.exercises,
        "quizzes": components.quizzes,
        "code_quality": components.code_quality,
        "consistency": components.consistency,
    }
    total = sum(
        (WEIGHTS[name] * Decimal(repr(_score(value))) for name, value in parts.items()),
        Decimal(0),
    )
    weighted = total / 100
    return int(round_half_up(weighted))


def level_for(mastery: float) -> Level:
    """The level of a mastery score; non-integers are rounded half up first (40.5 → Learning)."""
    score = round_half_up(mastery)
    if score < 0 or score > 100:
        raise ValueError(f"mastery must be between 0 and 100, got {mastery}")
    return next(level for ceiling, level in LEVEL_CEILINGS if score <= ceiling)


def compute_mastery(inputs: MasteryInputs, *, today: date) -> MasteryBreakdown:
    streak = streak_days(inputs.active_days, today=today)
    components = Components(
        exercises=exercise_component(inputs.exercises),
        quizzes=quiz_component(inputs.quizzes),
        code_quality=code_quality_component(inputs.review_scores),
        consistency=consistency_component(streak),
    )
    mastery = mastery_score(components)
    return MasteryBreakdown(
        components=components, streak_days=streak, mastery=mastery, level=level_for(mastery)
    )
