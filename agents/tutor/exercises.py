"""Exercises from the curriculum: what the learner may see, and which one to give them next.

Recommendation is matched to the learner's level on the topic (mastery 0-100, levels from
`learnflow.progress.mastery`): Beginner gets easy exercises, Learning easy then medium,
Proficient medium then hard, Mastered hard then medium. An explicit difficulty asked for
("a harder one") wins over the level. Exercises already passed in the session come last.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from learnflow.curriculum import (
    DIFFICULTIES,
    Catalog,
    CurriculumError,
    Difficulty,
    Exercise,
    load_catalog,
    read_catalog,
)
from learnflow.errors import NotFound
from learnflow.progress.mastery import Level, level_for

__all__ = [
    "DIFFICULTIES_FOR_LEVEL",
    "Recommendation",
    "default_catalog",
    "find_exercise",
    "parse_difficulty",
    "public_view",
    "recommend",
    "resolve_topic",
]

log = logging.getLogger("tutor.exercises")

DIFFICULTIES_FOR_LEVEL: Mapping[Level, tuple[Difficulty, ...]] = {
    Level.BEGINNER: ("easy",),
    Level.LEARNING: ("easy", "medium"),
    Level.PROFICIENT: ("medium", "hard"),
    Level.MASTERED: ("hard", "medium"),
}
_DIFFICULTY_WORDS: Mapping[str, Difficulty] = {
    "easy": "easy",
    "easier": "easy",
    "simple": "easy",
    "beginner": "easy",
    "basic": "easy",
    "medium": "medium",
    "intermediate": "medium",
    "moderate": "medium",
    "hard": "hard",
    "harder": "hard",
    "difficult": "hard",
    "challenging": "hard",
    "advanced": "hard",
    "tricky": "hard",
}
_WORD = re.compile(r"[a-z]+")
_STOP = frozenset(
    {
        *("a", "an", "the", "on", "about", "with", "for", "of", "in", "to", "me", "some"),
        *("please", "exercise", "exercises", "practice", "problem", "problems", "task"),
        *("tasks", "challenge", "another", "one", "more", "new", "next", "i", "want", "give"),
        *("can", "you", "python"),
    }
)


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    """The packaged curriculum. If a file is malformed (content is being written) the tutor
    still starts with every file that is valid, and logs the ones it skipped."""
    try:
        return load_catalog()
    except CurriculumError as exc:
        log.warning("curriculum has invalid files; serving the valid ones: %s", exc.message)
        catalog = read_catalog(strict=False)
        for bad in catalog.file_errors:
            log.warning("skipped %s: %s", bad.path, "; ".join(bad.problems))
        return catalog


def find_exercise(catalog: Catalog, exercise_id: str) -> Exercise:
    """The exercise, or `NotFound` with a message that lists how ids look."""
    try:
        return catalog.exercise(exercise_id.strip())
    except NotFound:
        example = catalog.exercises[0].id if catalog.exercises else "control-flow.fizzbuzz"
        raise NotFound(
            f"no exercise {exercise_id!r} in the curriculum; exercise ids look like "
            f"{example!r} (POST /exercises/recommend lists some)",
            exercise_id=exercise_id,
        ) from None


def _phrase(text: str) -> str:
    return " " + " ".join(re.findall(r"[a-z0-9]+", text.lower())) + " "


def named_exercise(catalog: Catalog, message: str) -> Exercise | None:
    """The exercise a message names: by id ("data-structures.word-count"), by the words of its
    id ("the word count exercise") or by its title ("Count the words"); the longest name wins,
    so "min max" is not mistaken for a shorter one. None when no exercise is named."""
    lowered = message.lower()
    spoken = _phrase(message)
    best: tuple[int, Exercise] | None = None
    for exercise in catalog.exercises:
        names = [exercise.id.split(".", 1)[-1].replace("-", " "), exercise.title]
        if exercise.id in lowered:
            return exercise
        for name in names:
            phrase = _phrase(name)
            longer = best is None or len(phrase) > best[0]
            if len(phrase.split()) >= 2 and phrase in spoken and longer:
                best = (len(phrase), exercise)
    return best[1] if best else None


def public_view(exercise: Exercise) -> dict[str, Any]:
    """What a learner may see of an exercise: never its tests, solution or unrevealed hints."""
    return {
        "id": exercise.id,
        "title": exercise.title,
        "topic": exercise.module,
        "lesson": exercise.lesson,
        "difficulty": exercise.difficulty,
        "prompt": exercise.prompt.strip(),
        "starter": exercise.starter,
        "hint_rungs": len(exercise.hints.rungs),
    }


def parse_difficulty(text: str | None) -> Difficulty | None:
    """ "easy"/"harder"/"challenging"... as a difficulty; None when the text names none."""
    for word in _WORD.findall((text or "").lower()):
        if word in _DIFFICULTY_WORDS:
            return _DIFFICULTY_WORDS[word]
    return None


def _words(text: str) -> set[str]:
    found = set()
    for word in _WORD.findall(text.lower()):
        found.add(word)
        if len(word) > 3 and word.endswith("s"):
            found.add(word[:-1])
    return found


def resolve_topic(catalog: Catalog, text: str | None) -> tuple[str | None, str | None]:
    """(module id, lesson id) a free-text topic names, e.g. "list comprehensions" ->
    ("data-structures", "data-structures.list-comprehensions"); (None, None) when none."""
    if not text or not text.strip():
        return None, None
    lowered = text.strip().lower()
    for module in catalog.modules:
        if lowered in (module.id, module.title.lower()):
            return module.id, None
    for lesson in catalog.lessons:
        if lowered == lesson.id:
            return lesson.module, lesson.id
    wanted = _words(lowered) - _STOP
    if not wanted:
        return None, None
    best: tuple[float, str | None, str | None] = (0.0, None, None)
    for lesson in catalog.lessons:
        title = _words(lesson.title) - _STOP
        slug = _words(lesson.id.split(".", 1)[-1].replace("-", " ")) - _STOP
        keywords = _words(" ".join(lesson.keywords))
        score = 2.0 * len(wanted & (title | slug)) + 0.5 * len(wanted & keywords)
        if score > best[0]:
            best = (score, lesson.module, lesson.id)
    for module in catalog.modules:
        names = _words(module.title) | _words(module.id.replace("-", " "))
        names |= _words(" ".join(module.topics))
        score = 2.0 * len(wanted & (names - _STOP))
        if score > best[0]:
            best = (score, module.id, None)
    return (best[1], best[2]) if best[0] >= 1.0 else (None, None)


@dataclass(frozen=True)
class Recommendation:
    """Exercises recommended for one topic, best first, and why."""

    topic: str
    lesson: str | None
    level: Level
    difficulties: tuple[Difficulty, ...]
    exercises: tuple[Exercise, ...]
    note: str = ""
    by_level: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "lesson": self.lesson,
            "level": self.level.label,
            "difficulties": list(self.difficulties),
            "by_level": self.by_level,
            "note": self.note,
            "exercises": [
                {
                    "id": e.id,
                    "title": e.title,
                    "difficulty": e.difficulty,
                    "lesson": e.lesson,
                }
                for e in self.exercises
            ],
        }


def _default_topic(catalog: Catalog, mastery: Mapping[str, float]) -> str:
    """The first module in teaching order the learner has not mastered yet."""
    for module in catalog.modules:
        if level_for(mastery.get(module.id, 0)) is not Level.MASTERED:
            return module.id
    return catalog.modules[0].id


def recommend(
    catalog: Catalog,
    *,
    topic: str | None = None,
    difficulty: str | None = None,
    mastery: Mapping[str, float] | None = None,
    done: Collection[str] = (),
    count: int = 3,
) -> Recommendation:
    """Exercises for `topic` (module id, lesson id or free text; default: the first module
    not yet mastered) at the learner's level, skipping `done` ones when others remain."""
    if not catalog.modules:
        raise NotFound("the curriculum has no modules yet")
    mastery = mastery or {}
    module_id, lesson_id = resolve_topic(catalog, topic)
    note = ""
    if module_id is None:
        if topic and topic.strip() and parse_difficulty(topic) is None:
            note = f"I don't have exercises on {topic.strip()!r}; here is where you are now."
        module_id = _default_topic(catalog, mastery)
    level = level_for(mastery.get(module_id, 0))
    asked = parse_difficulty(difficulty) if difficulty else None
    preferred: tuple[Difficulty, ...] = (asked,) if asked else DIFFICULTIES_FOR_LEVEL[level]
    pool = catalog.exercises_for(module_id)
    if lesson_id is not None and any(e.lesson == lesson_id for e in pool):
        pool = [e for e in pool if e.lesson == lesson_id] + [
            e for e in pool if e.lesson != lesson_id
        ]

    def rank(exercise: Exercise) -> tuple[int, int, int]:
        if exercise.difficulty in preferred:
            distance = preferred.index(exercise.difficulty)
        else:
            distance = len(preferred) + min(
                abs(DIFFICULTIES.index(exercise.difficulty) - DIFFICULTIES.index(d))
                for d in preferred
            )
        on_lesson = 0 if lesson_id is None or exercise.lesson == lesson_id else 1
        return (int(exercise.id in done), on_lesson, distance)

    ranked = sorted(pool, key=rank)  # stable: teaching order breaks ties
    if ranked and ranked[0].difficulty not in preferred:
        wanted = " or ".join(preferred)
        note = (note + " " if note else "") + (
            f"There is no {wanted} exercise here yet, so this is the closest one."
        )
    return Recommendation(
        topic=module_id,
        lesson=lesson_id,
        level=level,
        difficulties=preferred,
        exercises=tuple(ranked[: max(1, count)]),
        note=note,
        by_level=asked is None,
    )
