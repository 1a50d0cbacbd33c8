"""The checker's static rules: everything that can be verified without running code.

Each rule function returns a list of `Problem`s (empty when all is well).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from learnflow.curriculum.catalog import Catalog
from learnflow.curriculum.models import HINT_LEVELS, Exercise, Lesson, Module, Quiz
from learnflow.curriculum.problems import Problem, where

MIN_LESSONS = 3
MIN_EXERCISES = 6
MIN_QUIZ_QUESTIONS = 8

_SLUG = r"[a-z0-9]+(?:-[a-z0-9]+)*"
_IGNORED = {"__pycache__", "__init__.py", ".DS_Store"}
_IMPORTS_SOLUTION = re.compile(r"^\s*(?:from\s+solution\s+import\b|import\s+solution\b)", re.M)


def catalog_problems(catalog: Catalog, only: str | None = None) -> list[Problem]:
    """Every static problem of the catalog, or of module `only` alone."""
    problems = [
        Problem(where=where(error.path, catalog.root, str(error.path)), message=message)
        for error in catalog.file_errors
        if only is None or error.path.is_relative_to(catalog.root / only)
        for message in error.problems
    ]
    if only is None:
        problems += listing_problems(catalog)
    for module in catalog.modules:
        if only is None or module.id == only:
            problems += module_problems(catalog, module)
    scope = [m.id for m in catalog.modules if only is None or m.id == only]
    lessons = [lesson for lesson in catalog.lessons if home_module(lesson) in scope]
    exercises = [exercise for exercise in catalog.exercises if home_module(exercise) in scope]
    quizzes = [quiz for quiz in catalog.quizzes if home_module(quiz) in scope]
    for lesson in lessons:
        problems += lesson_problems(catalog, lesson)
    for exercise in exercises:
        problems += exercise_problems(catalog, exercise)
    for quiz in quizzes:
        problems += quiz_problems(catalog, quiz)
    problems += duplicate_id_problems(
        "lesson", [(lesson.id, where(lesson.source, catalog.root, lesson.id)) for lesson in lessons]
    )
    problems += duplicate_id_problems(
        "exercise", [(ex.id, where(ex.source, catalog.root, ex.id)) for ex in exercises]
    )
    problems += duplicate_id_problems(
        "quiz question",
        [
            (question.id, where(quiz.source, catalog.root, quiz.id))
            for quiz in quizzes
            for question in quiz.questions
        ],
    )
    return problems


def listing_problems(catalog: Catalog) -> list[Problem]:
    """catalog.yaml against the folders: listed modules exist, folders are listed, no repeats."""
    problems = [
        Problem(where="catalog.yaml", message=f"module {module_id!r} is listed {count} times")
        for module_id, count in Counter(catalog.module_ids).items()
        if count > 1
    ]
    problems += [
        Problem(
            where="catalog.yaml",
            message=f"module {module_id!r} is listed but {module_id}/module.yaml does not exist",
        )
        for module_id in dict.fromkeys(catalog.module_ids)
        if not (catalog.root / module_id / "module.yaml").is_file()
    ]
    for entry in _entries(catalog.root):
        if entry.is_dir() and entry.name not in catalog.module_ids:
            problems.append(
                Problem(
                    where=f"{entry.name}/",
                    message="folder is not listed in catalog.yaml, so nothing in it is reachable",
                )
            )
        elif entry.is_file() and entry.name not in {"catalog.yaml", "README.md"}:
            problems.append(Problem(where=entry.name, message=_STRAY))
    return problems


def module_problems(catalog: Catalog, module: Module) -> list[Problem]:
    """module.yaml against its folder: ids, numbering, listings, minimum content, stray files."""
    folder = module.source.parent if module.source else catalog.root / module.id
    here = where(module.source, catalog.root, module.id)
    problems: list[Problem] = []
    if module.id != folder.name:
        problems.append(Problem(where=here, message=f"id {module.id!r} != folder {folder.name!r}"))
    if module.id in catalog.module_ids:
        position = catalog.module_ids.index(module.id) + 1
        if module.number != position:
            problems.append(
                Problem(
                    where=here,
                    message=f"number is {module.number} but the module is #{position} "
                    "in catalog.yaml",
                )
            )
    problems += _listing_vs_files(here, "lessons", module.lessons, folder / "lessons", "md")
    problems += _listing_vs_files(here, "exercises", module.exercises, folder / "exercises", "yaml")
    minimums = [
        ("lessons", module.lessons, MIN_LESSONS),
        ("exercises", module.exercises, MIN_EXERCISES),
    ]
    problems += [
        Problem(where=here, message=f"has {len(listed)} {kind}; a module needs at least {least}")
        for kind, listed, least in minimums
        if len(set(listed)) < least
    ]
    if not (folder / "quiz.yaml").is_file():
        problems.append(Problem(where=here, message=f"{folder.name}/quiz.yaml does not exist"))
    problems += _stray_files(catalog.root, folder)
    return problems


def lesson_problems(catalog: Catalog, lesson: Lesson) -> list[Problem]:
    here = where(lesson.source, catalog.root, lesson.id)
    return _id_problems(here, lesson.id, lesson.module, lesson.source, home_module(lesson))


def exercise_problems(catalog: Catalog, exercise: Exercise) -> list[Problem]:
    """Id, module, lesson reference, and the hint ladder."""
    here = where(exercise.source, catalog.root, exercise.id)
    problems = _id_problems(
        here, exercise.id, exercise.module, exercise.source, home_module(exercise)
    )
    if exercise.lesson not in lesson_ids(catalog, exercise.module):
        problems.append(
            Problem(
                where=here,
                message=f"lesson {exercise.lesson!r} is not a lesson of module {exercise.module!r}",
            )
        )
    if not _IMPORTS_SOLUTION.search(exercise.tests):
        problems.append(
            Problem(
                where=here,
                message="the tests never import the learner's code: use `from solution import ...`",
            )
        )
    return problems + [Problem(where=here, message=m) for m in hint_ladder_messages(exercise)]


def hint_ladder_messages(exercise: Exercise) -> list[str]:
    """The ladder is exactly nudge, concept, partial, and the partial rung gives nothing away."""
    messages: list[str] = []
    if exercise.hints.levels != HINT_LEVELS:
        found = ", ".join(exercise.hints.levels) or "none"
        messages.append(
            f"hints must be exactly three rungs: nudge, concept, partial (found: {found})"
        )
    partial = exercise.hints.rung("partial")
    if partial is not None:
        if gives_away(partial.text, exercise.solution):
            messages.append("the partial hint contains the whole reference solution")
        if "..." not in partial.text:
            messages.append("the partial hint should leave the key line(s) out as `...`")
    return messages


def gives_away(hint: str, solution: str) -> bool:
    """True when every meaningful line of `solution` appears in `hint` (whitespace aside)."""
    wanted = _code_lines(solution)
    return bool(wanted) and set(wanted) <= set(_code_lines(hint))


def quiz_problems(catalog: Catalog, quiz: Quiz) -> list[Problem]:
    """Quiz id and module, size, question ids and lessons, unique choices, answer in range."""
    here = where(quiz.source, catalog.root, quiz.id)
    home = home_module(quiz)
    problems: list[Problem] = []
    if quiz.id != f"{home}.quiz":
        problems.append(Problem(where=here, message=f"id {quiz.id!r} should be '{home}.quiz'"))
    if quiz.module != home:
        problems.append(
            Problem(where=here, message=f"module is {quiz.module!r} but the file is in {home}/")
        )
    if len(quiz.questions) < MIN_QUIZ_QUESTIONS:
        problems.append(
            Problem(
                where=here,
                message=f"has {len(quiz.questions)} questions; a quiz needs at least "
                f"{MIN_QUIZ_QUESTIONS}",
            )
        )
    known_lessons = lesson_ids(catalog, home)
    for number, question in enumerate(quiz.questions, start=1):
        label = f"question {number} ({question.id})"
        messages: list[str] = []
        if not re.fullmatch(rf"{re.escape(home)}\.{_SLUG}", question.id):
            messages.append(f"id must look like '{home}.<slug>'")
        if question.lesson not in known_lessons:
            messages.append(f"lesson {question.lesson!r} is not a lesson of module {home!r}")
        if len(question.choices) < 2:
            messages.append("needs at least two choices")
        repeated = [c for c, n in Counter(_norm(c) for c in question.choices).items() if n > 1]
        if repeated:
            messages.append(f"repeated choices: {repeated}")
        if not 0 <= question.answer < len(question.choices):
            messages.append(
                f"answer {question.answer} is out of range for {len(question.choices)} choices "
                f"(valid: 0..{len(question.choices) - 1})"
            )
        problems += [Problem(where=here, message=f"{label}: {m}") for m in messages]
    return problems


def lesson_ids(catalog: Catalog, module_id: str) -> set[str]:
    """Ids of the module's lessons, counting files that failed to load (reported on their own)."""
    broken = {
        error.path.stem
        for error in catalog.file_errors
        if error.path.parent == catalog.root / module_id / "lessons"
    }
    return {lesson.id for lesson in catalog.lessons_for(module_id)} | broken


def duplicate_id_problems(kind: str, ids_and_places: Sequence[tuple[str, str]]) -> list[Problem]:
    """One problem per id used more than once, naming every place it appears."""
    places: dict[str, list[str]] = {}
    for item_id, place in ids_and_places:
        places.setdefault(item_id, []).append(place)
    return [
        Problem(
            where=found[0],
            message=f"{kind} id {item_id!r} is used {len(found)} times: " + ", ".join(found),
        )
        for item_id, found in places.items()
        if len(found) > 1
    ]


_STRAY = "is not part of the curriculum format, so it is never loaded (see curriculum-format.md)"


def home_module(item: Lesson | Exercise | Quiz) -> str:
    """The module folder an item's file lives in (its own `module` field when it has no file)."""
    if item.source is None:
        return item.module
    return item.source.parent.name if isinstance(item, Quiz) else item.source.parent.parent.name


def _id_problems(
    here: str, item_id: str, module_id: str, source: Path | None, home: str
) -> list[Problem]:
    messages: list[str] = []
    if not re.fullmatch(rf"{re.escape(home)}\.{_SLUG}", item_id):
        messages.append(f"id {item_id!r} must look like '{home}.<slug>' (lowercase, hyphens)")
    if source is not None and source.stem != item_id:
        messages.append(f"id {item_id!r} does not match the file name {source.name!r}")
    if module_id != home:
        messages.append(f"module is {module_id!r} but the file is in {home}/")
    return [Problem(where=here, message=message) for message in messages]


def _listing_vs_files(
    here: str, kind: str, listed: Sequence[str], folder: Path, suffix: str
) -> list[Problem]:
    on_disk = {path.stem for path in folder.glob(f"*.{suffix}")} if folder.is_dir() else set()
    problems = [
        Problem(where=here, message=f"{kind}: {item_id!r} is listed {count} times")
        for item_id, count in Counter(listed).items()
        if count > 1
    ]
    problems += [
        Problem(
            where=here,
            message=f"{kind}: {item_id!r} is listed but {folder.name}/{item_id}.{suffix} "
            "does not exist",
        )
        for item_id in dict.fromkeys(listed)
        if item_id not in on_disk
    ]
    problems += [
        Problem(
            where=f"{folder.parent.name}/{folder.name}/{stem}.{suffix}",
            message=f"is not listed in {kind} of module.yaml, so it is unreachable",
        )
        for stem in sorted(on_disk - set(listed))
    ]
    return problems


def _stray_files(root: Path, folder: Path) -> list[Problem]:
    allowed = {"module.yaml": None, "quiz.yaml": None, "lessons": "md", "exercises": "yaml"}
    problems: list[Problem] = []
    for entry in _entries(folder):
        if entry.name not in allowed or (entry.is_dir() != (allowed[entry.name] is not None)):
            problems.append(Problem(where=entry.relative_to(root).as_posix(), message=_STRAY))
        elif entry.is_dir():
            problems += [
                Problem(where=inner.relative_to(root).as_posix(), message=_STRAY)
                for inner in _entries(entry)
                if inner.is_dir() or inner.suffix != f".{allowed[entry.name]}"
            ]
    return problems


def _entries(folder: Path) -> Iterable[Path]:
    if not folder.is_dir():
        return []
    return sorted(
        entry
        for entry in folder.iterdir()
        if not entry.name.startswith(".") and entry.name not in _IGNORED
    )


def _code_lines(code: str) -> list[str]:
    lines = (line.strip() for line in code.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _norm(choice: str) -> str:
    return " ".join(choice.split())
