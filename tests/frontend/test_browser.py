"""The acceptance story in a real browser (Debian's chromium driven by playwright-core) against
the real stack: the scripts in frontend/tests/e2e run each step and report PASS or FAIL.

Every step is its own test here. There is no "pending": a route the page needs that is missing, or
a feature the backend lacks, fails its step. Screenshots are printed by each story; look at them.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.diagnostics import notable_log_lines
from tests.frontend.harness import FRONTEND, Frontend

pytestmark = pytest.mark.integration

# The steps each script reports, in order (frontend/tests/e2e/<story>.mjs).
STEPS: dict[str, tuple[str, ...]] = {
    "maya": (
        "login",
        "dashboard",
        "dashboard-60",
        "chat",
        "run",
        "run-limits",
        "submit",
        "quiz",
        "guards",
        "logout",
    ),
    "class": (
        "teacher-overview",
        "james-errors",
        "alert",
        "attempts-open",
        "attempts",
        "report",
        "generate",
        "assign",
        "resolve",
        "james-notified",
        "guards",
    ),
    "enrollment": ("open-class", "join", "join-again", "join-full", "roster", "guards"),
    "report": ("page", "csv", "print", "student-download", "guards"),
    "exam": (
        "set-invalid",
        "set",
        "start",
        "answer",
        "reload",
        "result",
        "listen",
        "teacher-results",
        "guards",
    ),
}


@dataclass(frozen=True)
class StoryRun:
    exit_code: int
    output: str
    steps: dict[str, dict[str, Any]]


def _selected_stories(items: list[pytest.Item]) -> set[str]:
    """The stories whose tests this run collected (`-k`, node ids)."""
    wanted = set()
    for item in items:
        callspec = getattr(item, "callspec", None)
        if item.module is not None and item.module.__name__ == __name__ and callspec is not None:
            story = callspec.params.get("story")
            if story in STEPS:
                wanted.add(story)
    return wanted


@pytest.fixture(scope="module")
def stories(request: pytest.FixtureRequest, frontend: Frontend) -> dict[str, StoryRun]:
    """Run each selected story once, in order (they share the stack's data).

    A story runs when one of its tests was collected: `pytest tests/frontend/test_browser.py
    -k exam` runs the exam story alone; with no selection every story runs.
    """
    wanted = _selected_stories(request.session.items)
    results = Path(tempfile.mkdtemp(prefix="learnflow-e2e-results-"))
    shots = Path(tempfile.mkdtemp(prefix="learnflow-e2e-shots-"))
    env = {
        **os.environ,
        "E2E_BASE_URL": frontend.url,
        "E2E_LOGINS_FILE": str(frontend.logins_file),
        "E2E_RESULTS_DIR": str(results),
        "E2E_SCREENSHOT_DIR": str(shots),
    }
    runs = {}
    for story in (s for s in STEPS if s in wanted):
        proc = subprocess.run(
            ["node", f"tests/e2e/{story}.mjs"],
            cwd=FRONTEND,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        report = results / f"{story}.json"
        reported = json.loads(report.read_text())["steps"] if report.is_file() else []
        steps = {s["id"]: s for s in reported}
        output = proc.stdout + proc.stderr
        if proc.returncode != 0:  # CI's clone is gone afterwards: say what the stack logged
            output += "\nthe stack's warnings and errors:\n" + notable_log_lines(
                frontend.mesh.stack.run_dir
            )
        runs[story] = StoryRun(proc.returncode, output, steps)
    return runs


@pytest.mark.parametrize("story", list(STEPS))
def test_story_runs_to_the_end(stories: dict[str, StoryRun], story: str) -> None:
    run = stories[story]
    print(run.output)
    assert list(run.steps) == list(STEPS[story]), f"the steps differ from STEPS:\n{run.output}"
    failed = [s for s in run.steps.values() if s["status"] == "FAIL"]
    assert run.exit_code == 0 and not failed, f"{story}: exit {run.exit_code}\n{run.output}"


@pytest.mark.parametrize(
    ("story", "step"), [(story, step) for story, steps in STEPS.items() for step in steps]
)
def test_acceptance_step(stories: dict[str, StoryRun], story: str, step: str) -> None:
    result = stories[story].steps.get(step)
    if result is None:
        pytest.fail(f"{story} did not report step {step!r}:\n{stories[story].output}")
    assert result["status"] == "PASS", (
        f"{result['title']}:\n{result['detail']}\n(the story's output, with the stack's logged "
        "warnings and errors, is in test_story_runs_to_the_end)"
    )
