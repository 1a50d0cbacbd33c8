"""The loaded curriculum and its look-ups by id, module, lesson and difficulty."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import Protocol, TypeVar

from learnflow.curriculum.models import (
    ContentModel,
    Difficulty,
    Exercise,
    Lesson,
    Module,
    Quiz,
    QuizQuestion,
)
from learnflow.errors import NotFound


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


_T = TypeVar("_T", bound=_HasId)


def _index(items: Iterable[_T]) -> dict[str, _T]:
    """Items by id; with duplicate ids the first wins (the checker reports the duplicate)."""
    index: dict[str, _T] = {}
    for item in items:
        index.setdefault(item.id, item)
    return index


class FileError(ContentModel):
    """A file the lenient loader (`read_catalog(strict=False)`) skipped, and why."""

    path: Path
    problems: tuple[str, ...]


class Catalog(ContentModel):
    """Everything under the content root, in teaching order.

    `module_ids` is catalog.yaml's list; `modules` holds those of them that have a folder.
    Lessons and exercises are every file found in a listed module's folder, listed ones first in
    module.yaml order; whether listings and files agree is checked by `check_catalog`.
    `file_errors` lists the files a lenient read skipped (always empty from `load_catalog`).
    """

    root: Path
    module_ids: tuple[str, ...]
    modules: tuple[Module, ...] = ()
    lessons: tuple[Lesson, ...] = ()
    exercises: tuple[Exercise, ...] = ()
    quizzes: tuple[Quiz, ...] = ()
    file_errors: tuple[FileError, ...] = ()

    @cached_property
    def _modules(self) -> dict[str, Module]:
        return _index(self.modules)

    @cached_property
    def _lessons(self) -> dict[str, Lesson]:
        return _index(self.lessons)

    @cached_property
    def _exercises(self) -> dict[str, Exercise]:
        return _index(self.exercises)

    @cached_property
    def _quizzes(self) -> dict[str, Quiz]:
        return {quiz.module: quiz for quiz in reversed(self.quizzes)}

    @property
    def missing_modules(self) -> tuple[str, ...]:
        """Ids listed in catalog.yaml whose folder (or module.yaml) does not exist."""
        return tuple(module_id for module_id in self.module_ids if module_id not in self._modules)

    @property
    def quiz_questions(self) -> tuple[QuizQuestion, ...]:
        return tuple(question for quiz in self.quizzes for question in quiz.questions)

    def module(self, module_id: str) -> Module:
        try:
            return self._modules[module_id]
        except KeyError:
            known = ", ".join(self._modules) or "none"
            raise NotFound(f"no module {module_id!r} in the curriculum (known: {known})") from None

    def lesson(self, lesson_id: str) -> Lesson:
        try:
            return self._lessons[lesson_id]
        except KeyError:
            raise NotFound(f"no lesson {lesson_id!r} in the curriculum") from None

    def exercise(self, exercise_id: str) -> Exercise:
        try:
            return self._exercises[exercise_id]
        except KeyError:
            raise NotFound(f"no exercise {exercise_id!r} in the curriculum") from None

    def quiz(self, module_id: str) -> Quiz:
        try:
            return self._quizzes[module_id]
        except KeyError:
            raise NotFound(f"no quiz for module {module_id!r} in the curriculum") from None

    def lessons_for(self, module_id: str) -> list[Lesson]:
        """The lessons of a module, in teaching order."""
        return [lesson for lesson in self.lessons if lesson.module == module_id]

    def exercises_for(
        self,
        module_id: str | None = None,
        *,
        lesson_id: str | None = None,
        difficulty: Difficulty | None = None,
    ) -> list[Exercise]:
        """Exercises matching every filter given, in teaching order."""
        return [
            exercise
            for exercise in self.exercises
            if (module_id is None or exercise.module == module_id)
            and (lesson_id is None or exercise.lesson == lesson_id)
            and (difficulty is None or exercise.difficulty == difficulty)
        ]
