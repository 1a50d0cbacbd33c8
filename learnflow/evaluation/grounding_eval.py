"""Evaluation of `learnflow explain`: a grounded answer on the right topic, or an honest abstention.

The data is JSON Lines, one ``{"question": ..., "lesson": ...}`` per line, where ``lesson`` is
the id of the lesson a good teacher would answer from, a list of ids when several are right, or
``null`` when no lesson of the curriculum covers the question (then the right answer says so and
cites nothing). Each question goes through the whole offline concepts agent
(`concepts_agent.agent.explain`); an answer is right when

- ``lesson`` is given and the answer's first source (the lesson it is built from) is one of them;
- ``lesson`` is null and the answer has no sources (the agent said no lesson covers it).

Three sets live in ``tests/data/``: ``concept_grounding_dev.jsonl`` (tuned on),
``concept_grounding_held_out.jsonl`` (written before the work was frozen, scored once; a miss
seen there moves to dev before it is fixed) and ``concept_grounding_fresh.jsonl`` (written after
the work, never tuned on).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from learnflow.curriculum import read_catalog
from learnflow.embeddings import default_embedder
from learnflow.errors import InvalidInput
from learnflow.evaluation.retrieval_eval import Explainer, offline_explainer
from learnflow.retrieval import LessonIndex
from learnflow.settings import REPO_ROOT

__all__ = [
    "DEV_SET",
    "FRESH_SET",
    "HELD_OUT_SET",
    "TARGET",
    "GroundingExample",
    "GroundingReport",
    "evaluate",
    "evaluate_file",
    "load_examples",
]

DATA = REPO_ROOT / "tests" / "data"
DEV_SET = DATA / "concept_grounding_dev.jsonl"
HELD_OUT_SET = DATA / "concept_grounding_held_out.jsonl"
FRESH_SET = DATA / "concept_grounding_fresh.jsonl"
TARGET = 0.95


@dataclass(frozen=True, slots=True)
class GroundingExample:
    question: str
    #: The right lessons; empty when no lesson covers the question.
    lessons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class GroundingReport:
    data: str
    total: int
    accuracy: float
    answerable: int
    answered_right: int
    unanswerable: int
    abstained_right: int
    misses: tuple[dict[str, Any], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "data": self.data,
            "total": self.total,
            "accuracy": self.accuracy,
            "target": TARGET,
            "answerable": self.answerable,
            "answered_right": self.answered_right,
            "unanswerable": self.unanswerable,
            "abstained_right": self.abstained_right,
            "misses": list(self.misses),
        }


def load_examples(path: Path) -> list[GroundingExample]:
    """Read a JSON Lines set; a bad line raises `InvalidInput` naming it."""
    if not path.is_file():
        raise InvalidInput(f"labelled set not found: {path}")
    examples: list[GroundingExample] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            question, lesson = row["question"], row["lesson"]
            if not isinstance(question, str) or not question.strip():
                raise ValueError("question must be a non-empty string")
            lessons = (
                ()
                if lesson is None
                else (lesson,)
                if isinstance(lesson, str)
                else tuple(str(x) for x in lesson)
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidInput(f"{path}:{number}: not a labelled question ({exc})") from exc
        examples.append(GroundingExample(question, lessons))
    if not examples:
        raise InvalidInput(f"labelled set is empty: {path}")
    return examples


async def evaluate(
    examples: Iterable[GroundingExample], explainer: Explainer, *, data: str = ""
) -> GroundingReport:
    examples = list(examples)
    answered = abstained = 0
    misses: list[dict[str, Any]] = []
    for example in examples:
        sources: Sequence[str] = tuple(await explainer(example.question))
        if example.lessons:
            right = bool(sources) and sources[0] in example.lessons
            answered += right
        else:
            right = not sources
            abstained += right
        if not right:
            misses.append(
                {
                    "question": example.question,
                    "expected": list(example.lessons) or "abstain",
                    "sources": list(sources),
                }
            )
    total = len(examples)
    unanswerable = sum(1 for e in examples if not e.lessons)
    return GroundingReport(
        data=data,
        total=total,
        accuracy=round((answered + abstained) / total, 4) if total else 0.0,
        answerable=total - unanswerable,
        answered_right=answered,
        unanswerable=unanswerable,
        abstained_right=abstained,
        misses=tuple(misses),
    )


async def evaluate_file(
    path: Path = DEV_SET, *, index: LessonIndex | None = None
) -> GroundingReport:
    """Evaluate the offline concepts agent over `index` (by default the packaged curriculum,
    read leniently, with the packaged embedding model)."""
    if index is None:
        index = LessonIndex.build(read_catalog(strict=False), default_embedder())
    return await evaluate(load_examples(path), offline_explainer(index), data=str(path))
