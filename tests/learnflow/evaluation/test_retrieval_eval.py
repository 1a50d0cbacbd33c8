"""Retrieval evaluation: recall@1/recall@3 of `learnflow explain`'s sources on labelled questions.

Run with `-s` to see the figures (and every miss) printed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from learnflow.curriculum import load_catalog
from learnflow.errors import InvalidInput
from learnflow.evaluation.retrieval_eval import (
    DEV_SET,
    HELD_OUT_SET,
    TARGET_RECALL_AT_3,
    ConceptExample,
    RetrievalReport,
    evaluate,
    evaluate_file,
    load_examples,
)
from learnflow.retrieval import LessonIndex

MODULES = (
    "basics",
    "control-flow",
    "data-structures",
    "functions",
    "oop",
    "files",
    "errors",
    "libraries",
)


def _print(report: RetrievalReport) -> None:
    figures = report.to_dict()
    misses = figures.pop("misses")
    print(f"\n{json.dumps(figures, indent=2)}")
    for miss in misses:
        print(f"  miss: {miss['question']!r} -> expected {miss['expected']}, got {miss['sources']}")


async def test_recall_at_3_on_the_held_out_set_meets_the_target(shared_index: LessonIndex) -> None:
    report = await evaluate_file(HELD_OUT_SET, index=shared_index)
    _print(report)
    assert report.total >= 60
    assert not report.unanswerable, f"lessons missing from the curriculum: {report.unanswerable}"
    assert report.recall_at_3 >= TARGET_RECALL_AT_3, report.misses


async def test_dev_set_figures(shared_index: LessonIndex) -> None:
    report = await evaluate_file(DEV_SET, index=shared_index)
    _print(report)
    assert report.total >= 20
    assert report.recall_at_3 >= TARGET_RECALL_AT_3


def test_the_sets_are_labelled_with_listed_lessons_and_span_every_module() -> None:
    catalog = load_catalog()
    listed = {lesson_id for module in catalog.modules for lesson_id in module.lessons}
    held_out, dev = load_examples(HELD_OUT_SET), load_examples(DEV_SET)
    for example in (*held_out, *dev):
        assert example.lesson in listed, example
    assert {e.lesson.split(".")[0] for e in held_out} == set(MODULES)
    assert not {e.question.lower() for e in held_out} & {e.question.lower() for e in dev}


async def test_recall_counts_the_first_one_and_the_first_three_sources() -> None:
    answers = {"q1": ["a.x"], "q2": ["b.y", "a.x"], "q3": ["b.y", "c.z", "d.w", "a.x"], "q4": []}

    async def explainer(question: str) -> Sequence[str]:
        return answers[question]

    examples = [ConceptExample(q, "a.x") for q in answers] + [ConceptExample("q1", "gone.lesson")]
    report = await evaluate(examples, explainer, lesson_ids={"a.x", "b.y", "c.z", "d.w"})

    assert report.total == 5
    assert report.recall_at_1 == 0.2  # q1
    assert report.recall_at_3 == 0.4  # q1, q2 (q3's is fourth)
    assert report.answerable == 4 and report.recall_at_3_answerable == 0.5
    assert report.no_sources == 1
    assert [e.lesson for e in report.unanswerable] == ["gone.lesson"]
    assert [m.question for m in report.misses] == ["q3", "q4", "q1"]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("", "labelled set is empty"),
        ('{"question": "loops?"}\n', ":1: not a labelled question"),
        ('{"question": "x", "lesson": "a.b"}\nnot json\n', ":2: not a labelled question"),
        ('{"question": "  ", "lesson": "a.b"}\n', "must not be empty"),
    ],
)
def test_load_examples_names_the_bad_line(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "set.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInput, match=problem):
        load_examples(path)
