"""Shared by the evaluations: one lesson index (and so one embedding model load and one
embedding of every lesson section) for the whole test session."""

from __future__ import annotations

import pytest

from learnflow.retrieval import LessonIndex, lesson_index


@pytest.fixture(scope="session")
def shared_index() -> LessonIndex:
    """The packaged index the agents themselves use (`lesson_index()`, built once a process),
    so the evaluations that go through `learnflow ask` reuse it too."""
    index = lesson_index()
    index.section_vectors()  # embed the sections here, not inside the first timed evaluation
    return index
