"""Curriculum modules by id (`control-flow`): titles and exercise look-ups from the curriculum
catalog (`learnflow.curriculum`). A module's id is stored and sent as `topic` / `topic_id`, hence
this module's name and its `topic` parameters; it has nothing to do with pub/sub topics (those are
in `api/routes/events.py`). See docs/glossary.md."""

from __future__ import annotations

from learnflow.curriculum import Catalog, Exercise, load_catalog
from learnflow.errors import NotFound


def catalog() -> Catalog:
    """The packaged curriculum (loaded once per process)."""
    return load_catalog()


def module_ids() -> tuple[str, ...]:
    return tuple(module.id for module in catalog().modules)


def title_of(topic: str) -> tuple[int | None, str]:
    """(module number, title) of a topic; unknown topics keep their id as title."""
    try:
        module = catalog().module(topic)
    except NotFound:
        return None, topic
    return module.number, module.title


def label_of(topic: str) -> str:
    """`Module 2: Control Flow`, or the topic id for topics outside the curriculum."""
    number, title = title_of(topic)
    return f"Module {number}: {title}" if number is not None else title


def exercise(exercise_id: str) -> Exercise | None:
    try:
        return catalog().exercise(exercise_id)
    except NotFound:
        return None


def topic_of_exercise(exercise_id: str | None) -> str | None:
    """The module an exercise belongs to: from the catalog, else from its id's prefix
    (`<topic>.<slug>`, also the shape of teacher-made `<topic>.custom-<hex>` ids)."""
    if not exercise_id:
        return None
    found = exercise(exercise_id)
    if found is not None:
        return found.module
    prefix = exercise_id.split(".", 1)[0]
    return prefix if prefix in module_ids() else None


def exercise_title(exercise_id: str) -> str:
    found = exercise(exercise_id)
    return found.title if found is not None else exercise_id
