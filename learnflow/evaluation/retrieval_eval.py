"""Evaluation of the concepts agent's grounding: recall@1 and recall@3 of `explain`'s sources.

The data is JSON Lines, one ``{"question": ..., "lesson": ...}`` per line: a learner's concept
question and the id of the lesson that answers it. Two sets live in ``tests/data/``:
``concept_questions.jsonl`` is the held-out set the target (recall@3 ≥ 0.90) is measured on; it
was written from the lesson ids and titles and design.md's topics before retrieval was built, and
nothing is tuned on it. ``concept_questions_dev.jsonl`` is the set retrieval is tuned on.

What is measured is the whole offline agent, not the index alone: each question goes through
`concepts_agent.agent.explain` (search, the "nothing matches well" threshold, read, answer), and
recall@k asks whether the labelled lesson is among the first k lesson ids of the answer's sources
(the lesson the answer is built from first, then its "see also" lessons). An answer that says no
lesson matches has no sources, so it counts as a miss.

Labelling guide: the label is the one lesson a good teacher would open first to answer the
question — for an error message, the lesson on the construct that raised it when the question is
about that construct ("KeyError when I look a word up in my dict" → dictionaries), and
``errors.exception-types`` when it is about errors in general.

Questions whose lesson is not (yet) in the curriculum are reported as `unanswerable` — they still
count as misses — and files the lenient loader had to skip are listed, so a run made while
content is being written says exactly what it could not measure.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, cast

from learnflow.curriculum import Catalog, read_catalog
from learnflow.embeddings import default_embedder
from learnflow.errors import ConfigurationError, InvalidInput
from learnflow.retrieval import LessonIndex
from learnflow.settings import REPO_ROOT

__all__ = [
    "DEV_SET",
    "HELD_OUT_SET",
    "TARGET_RECALL_AT_3",
    "ConceptExample",
    "ConceptMiss",
    "Explainer",
    "RetrievalReport",
    "evaluate",
    "evaluate_file",
    "load_examples",
    "offline_explainer",
]

HELD_OUT_SET = REPO_ROOT / "tests" / "data" / "concept_questions.jsonl"
DEV_SET = REPO_ROOT / "tests" / "data" / "concept_questions_dev.jsonl"
TARGET_RECALL_AT_3 = 0.90
CONCEPTS_MODULE = "concepts_agent.agent"

#: Takes a question, returns the answer's sources (lesson ids, most relevant first).
Explainer = Callable[[str], Awaitable[Sequence[str]]]


@dataclass(frozen=True, slots=True)
class ConceptExample:
    question: str
    lesson: str


@dataclass(frozen=True, slots=True)
class ConceptMiss:
    """A question whose lesson was not among the first three sources."""

    question: str
    expected: str
    sources: tuple[str, ...]
    answerable: bool


@dataclass(frozen=True, slots=True)
class RetrievalReport:
    data: str
    total: int
    recall_at_1: float
    recall_at_3: float
    #: Questions whose labelled lesson exists in the curriculum that was evaluated.
    answerable: int
    recall_at_3_answerable: float
    #: Questions the agent answered with no sources ("no lesson matches well").
    no_sources: int
    misses: tuple[ConceptMiss, ...]
    unanswerable: tuple[ConceptExample, ...]
    skipped_files: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "data": self.data,
            "total": self.total,
            "recall_at_1": self.recall_at_1,
            "recall_at_3": self.recall_at_3,
            "answerable": self.answerable,
            "recall_at_3_answerable": self.recall_at_3_answerable,
            "no_sources": self.no_sources,
            "misses": [
                {
                    "question": m.question,
                    "expected": m.expected,
                    "sources": list(m.sources),
                    "answerable": m.answerable,
                }
                for m in self.misses
            ],
            "unanswerable": [
                {"question": e.question, "lesson": e.lesson} for e in self.unanswerable
            ],
            "skipped_files": list(self.skipped_files),
        }


def load_examples(path: Path) -> list[ConceptExample]:
    """Read a JSON Lines labelled set; a bad line raises `InvalidInput` naming it."""
    if not path.is_file():
        raise InvalidInput(f"labelled set not found: {path}")
    examples: list[ConceptExample] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            question, lesson = row["question"], row["lesson"]
            if not isinstance(question, str) or not isinstance(lesson, str):
                raise TypeError("question and lesson must be strings")
            if not question.strip() or not lesson.strip():
                raise ValueError("question and lesson must not be empty")
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidInput(f"{path}:{number}: not a labelled question ({exc})") from exc
        examples.append(ConceptExample(question=question, lesson=lesson))
    if not examples:
        raise InvalidInput(f"labelled set is empty: {path}")
    return examples


def _ratio(numerator: int, denominator: int) -> float:
    return round(numerator / denominator, 4) if denominator else 0.0


async def evaluate(
    examples: Iterable[ConceptExample],
    explainer: Explainer,
    *,
    lesson_ids: Collection[str],
    data: str = "",
    skipped_files: Sequence[str] = (),
) -> RetrievalReport:
    """Ask `explainer` every question (one at a time, so runs are reproducible) and score it.

    `lesson_ids` are the lessons the evaluated curriculum holds; a question labelled with another
    id is unanswerable (and still a miss).
    """
    examples = list(examples)
    at_1 = at_3 = at_3_answerable = no_sources = 0
    misses: list[ConceptMiss] = []
    unanswerable: list[ConceptExample] = []
    for example in examples:
        sources = tuple(await explainer(example.question))
        answerable = example.lesson in lesson_ids
        if not answerable:
            unanswerable.append(example)
        no_sources += not sources
        at_1 += sources[:1] == (example.lesson,)
        hit = example.lesson in sources[:3]
        at_3 += hit
        at_3_answerable += hit and answerable
        if not hit:
            misses.append(ConceptMiss(example.question, example.lesson, sources, answerable))
    total = len(examples)
    return RetrievalReport(
        data=data,
        total=total,
        recall_at_1=_ratio(at_1, total),
        recall_at_3=_ratio(at_3, total),
        answerable=total - len(unanswerable),
        recall_at_3_answerable=_ratio(at_3_answerable, total - len(unanswerable)),
        no_sources=no_sources,
        misses=tuple(misses),
        unanswerable=tuple(unanswerable),
        skipped_files=tuple(skipped_files),
    )


class _ConceptAnswer(Protocol):
    @property
    def sources(self) -> tuple[str, ...]: ...


class _ConceptsAgentModule(Protocol):
    def build_concepts_agent(self, *, index: LessonIndex | None = None, offline: bool) -> Any: ...

    async def explain(self, agent: Any, question: str) -> _ConceptAnswer: ...


def offline_explainer(index: LessonIndex) -> Explainer:
    """`concepts_agent.agent.explain` on the offline model over `index`, as an `Explainer`.

    The concepts agent is a service package, loaded at run time (the shared package does not
    import services); it is installed with LearnFlow (`pip install -e .`).
    """
    try:
        concepts = cast(_ConceptsAgentModule, importlib.import_module(CONCEPTS_MODULE))
    except ModuleNotFoundError as exc:
        raise ConfigurationError(
            f"the concepts agent ({CONCEPTS_MODULE}) is not installed in this environment: "
            "install LearnFlow from the repository root with `pip install -e .`"
        ) from exc
    agent = concepts.build_concepts_agent(index=index, offline=True)

    async def explainer(question: str) -> Sequence[str]:
        return (await concepts.explain(agent, question)).sources

    return explainer


async def evaluate_file(
    path: Path = HELD_OUT_SET, *, catalog: Catalog | None = None, index: LessonIndex | None = None
) -> RetrievalReport:
    """Evaluate the offline concepts agent on the labelled set at `path`.

    Over `index` when given (so several evaluations share one built index), else over
    `catalog`, by default the packaged curriculum read leniently: a lesson file that does not
    load is left out (and listed in `skipped_files`) instead of stopping the evaluation.
    """
    if index is None:
        index = LessonIndex.build(catalog or read_catalog(strict=False), default_embedder())
    catalog = index.catalog
    return await evaluate(
        load_examples(path),
        offline_explainer(index),
        lesson_ids=frozenset(index.lesson_ids),
        data=str(path),
        skipped_files=[str(error.path) for error in catalog.file_errors],
    )


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m learnflow.evaluation.retrieval_eval [SET.jsonl]`: print the report as JSON."""
    args = list(sys.argv[1:] if argv is None else argv)
    report = asyncio.run(evaluate_file(Path(args[0]) if args else HELD_OUT_SET))
    print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    return 0 if report.recall_at_3 >= TARGET_RECALL_AT_3 else 1


if __name__ == "__main__":
    sys.exit(main())
