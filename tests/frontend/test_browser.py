"""The acceptance story in a real browser (Debian's chromium driven by playwright-core) against
the real stack: the scripts in frontend/tests/e2e run each step and report PASS or FAIL.

Every step is its own test here. There is no "pending": a route the page needs that is missing, or
a feature the backend lacks, fails its step. Screenshots are printed by each story; look at them.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from tests.frontend.harness import Frontend, StoryRun, run_story

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
    return {
        story: run_story(frontend, story, results=results, screenshots=shots)
        for story in STEPS
        if story in wanted
    }


@pytest.mark.parametrize("story", list(STEPS))
def test_story_runs_to_the_end(stories: dict[str, StoryRun], story: str) -> None:
    stories[story].check_ran(STEPS[story])


@pytest.mark.parametrize(
    ("story", "step"), [(story, step) for story, steps in STEPS.items() for step in steps]
)
def test_acceptance_step(stories: dict[str, StoryRun], story: str, step: str) -> None:
    stories[story].check_step(step)
