"""`learnflow explain` grounding: a lesson on the right topic, or an honest abstention (≥ 95%)."""

from __future__ import annotations

import json

import pytest

from learnflow.evaluation.grounding_eval import (
    DEV_SET,
    FRESH_SET,
    HELD_OUT_SET,
    TARGET,
    GroundingReport,
    evaluate_file,
    load_examples,
)
from learnflow.retrieval import LessonIndex


def _show(report: GroundingReport) -> str:
    return json.dumps(report.to_dict(), indent=1)


@pytest.mark.parametrize(
    "path", [DEV_SET, HELD_OUT_SET, FRESH_SET], ids=["dev", "held-out", "fresh"]
)
async def test_grounded_or_abstains_on_each_set(path, shared_index: LessonIndex) -> None:  # type: ignore[no-untyped-def]
    report = await evaluate_file(path, index=shared_index)
    print(f"\n{path.name}: {report.accuracy} ({report.total} questions)")
    assert report.unanswerable >= 5, "each set must test abstention"
    assert report.accuracy >= TARGET, _show(report)


def test_the_sets_do_not_overlap() -> None:
    sets = [
        {e.question.lower() for e in load_examples(p)} for p in (DEV_SET, HELD_OUT_SET, FRESH_SET)
    ]
    assert not sets[0] & sets[1] and not sets[0] & sets[2] and not sets[1] & sets[2]
