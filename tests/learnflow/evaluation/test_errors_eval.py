"""Error explanations name the exception and the cause for ≥ 90% of common beginner errors."""

from __future__ import annotations

import json

import pytest

from learnflow.evaluation.errors_eval import DEV_SET, FRESH_SET, TARGET, evaluate_file, load
from learnflow.settings import Settings


@pytest.mark.parametrize("path", [DEV_SET, FRESH_SET], ids=["dev", "fresh"])
async def test_errors_are_explained(path) -> None:  # type: ignore[no-untyped-def]
    report = await evaluate_file(path, settings=Settings())
    print(f"\n{path.name}: {report.accuracy} ({report.total} errors)")
    assert report.accuracy >= TARGET, json.dumps(report.to_dict(), indent=1)


def test_at_least_30_kinds_of_error_are_covered() -> None:
    causes = {row["cause"] for row in load(DEV_SET)}
    assert len(causes) >= 30, causes
