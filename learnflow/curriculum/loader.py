"""Loading the curriculum from its folder (docs/curriculum-format.md) into a `Catalog`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from learnflow.curriculum.catalog import Catalog, FileError
from learnflow.curriculum.errors import CurriculumError
from learnflow.curriculum.models import ContentModel, Exercise, Lesson, Module, Quiz, Text
from learnflow.curriculum.parsing import read_lesson, read_yaml_mapping

DEFAULT_ROOT = Path(__file__).resolve().parent / "content"

_M = TypeVar("_M", bound=ContentModel)
_Listed = TypeVar("_Listed", Lesson, Exercise)


class CatalogFile(ContentModel):
    """`catalog.yaml`: the module ids in teaching order."""

    modules: tuple[Text, ...]


def load_catalog(root: Path | None = None) -> Catalog:
    """The curriculum under `root` (default: the packaged content), loaded once and cached.

    Raises `CurriculumError` naming the file and field when any file is malformed.
    """
    return _load_cached((root or DEFAULT_ROOT).resolve())


def clear_catalog_cache() -> None:
    """Forget loaded catalogs, so the next `load_catalog` reads the files again."""
    _load_cached.cache_clear()


@lru_cache(maxsize=8)
def _load_cached(root: Path) -> Catalog:
    return read_catalog(root)


def read_catalog(root: Path | None = None, *, strict: bool = True) -> Catalog:
    """Read and validate every file under `root`, without caching.

    With `strict=False` a malformed file is skipped and recorded in `Catalog.file_errors`
    instead of raising, so one run can report every broken file; a malformed catalog.yaml
    still raises, since nothing can be found without it.
    """
    root = (root or DEFAULT_ROOT).resolve()
    catalog_file = root / "catalog.yaml"
    if not catalog_file.is_file():
        raise CurriculumError(catalog_file, ["not found: the content root needs a catalog.yaml"])
    listing = validate(CatalogFile, read_yaml_mapping(catalog_file), catalog_file)
    reader = _Reader(strict)
    modules: list[Module] = []
    lessons: list[Lesson] = []
    exercises: list[Exercise] = []
    quizzes: list[Quiz] = []
    for module_id in dict.fromkeys(listing.modules):
        folder = root / module_id
        if not (folder / "module.yaml").is_file():
            continue  # reported by the checker as a missing module
        module = reader.load(Module, folder / "module.yaml", read_yaml_mapping)
        if module is None:
            continue
        modules.append(module)
        module_lessons = [reader.load(Lesson, p, read_lesson) for p in _files(folder, "lessons")]
        lessons += _in_listed_order([x for x in module_lessons if x], module.lessons)
        module_exercises = [
            reader.load(Exercise, p, read_yaml_mapping) for p in _files(folder, "exercises")
        ]
        exercises += _in_listed_order([x for x in module_exercises if x], module.exercises)
        if (folder / "quiz.yaml").is_file():
            quiz = reader.load(Quiz, folder / "quiz.yaml", read_yaml_mapping)
            quizzes += [quiz] if quiz else []
    return Catalog(
        root=root,
        module_ids=listing.modules,
        modules=tuple(modules),
        lessons=tuple(lessons),
        exercises=tuple(exercises),
        quizzes=tuple(quizzes),
        file_errors=tuple(reader.errors),
    )


def validate(model: type[_M], data: Mapping[str, Any], path: Path) -> _M:
    """`model` from one file's data; a `ValidationError` becomes a `CurriculumError` per field."""
    fields = {**data, "source": path} if "source" in model.model_fields else data
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        raise CurriculumError(path, [describe(error) for error in exc.errors()]) from exc


def describe(error: ErrorDetails) -> str:
    """One pydantic error as `field 'a.b.0': what is wrong (got ...)`."""
    field = ".".join(str(part) for part in error["loc"]) or "(top level)"
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "missing":
        message = "required field is missing"
    elif error["type"] == "extra_forbidden":
        message = "unknown field (check its spelling against docs/curriculum-format.md)"
    else:
        got = error.get("input")
        if isinstance(got, str | int | float | bool) or got is None:
            shown = repr(got) if len(repr(got)) <= 60 else repr(got)[:57] + "..."
            message += f" (got {shown})"
            if error["type"] == "string_type" and (isinstance(got, bool) or got is None):
                message += "; YAML reads yes/no/true/false/null as such: quote text like that"
    return f"field {field!r}: {message}"


class _Reader:
    """Loads one file at a time; in lenient mode collects errors instead of raising them."""

    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.errors: list[FileError] = []

    def load(
        self, model: type[_M], path: Path, read: Callable[[Path], Mapping[str, Any]]
    ) -> _M | None:
        try:
            return validate(model, read(path), path)
        except CurriculumError as exc:
            if self.strict:
                raise
            self.errors.append(FileError(path=path, problems=exc.problems))
            return None


def _files(folder: Path, kind: str) -> list[Path]:
    suffix = "md" if kind == "lessons" else "yaml"
    return sorted((folder / kind).glob(f"*.{suffix}")) if (folder / kind).is_dir() else []


def _in_listed_order(items: list[_Listed], listed: Sequence[str]) -> list[_Listed]:
    """Listed items in listing order, then the unlisted ones in file-name order."""
    position = {item_id: index for index, item_id in enumerate(listed)}
    return sorted(items, key=lambda item: position.get(item.id, len(position)))
