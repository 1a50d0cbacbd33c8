"""What the web app's tests share: where the frontend lives, the handles on its stack, and the
runner of the browser stories (a plain module, imported by the conftests' fixtures and by the
tests: tests/frontend/test_browser.py, tests/local_model/test_browser_stream.py)."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from learnflow.settings import REPO_ROOT
from tests.diagnostics import notable_log_lines
from tests.integration.harness import Mesh

FRONTEND = REPO_ROOT / "frontend"


@dataclass(frozen=True)
class Frontend:
    """The web app's stack (`mesh`), the app's URL and the demo logins triage wrote."""

    mesh: Mesh
    url: str
    logins_file: Path


@dataclass(frozen=True)
class StoryRun:
    """What a browser story (frontend/tests/e2e/<story>.mjs) did: its exit code, its output
    (with the stack's notable log lines when it failed) and the steps it reported, by id."""

    story: str
    exit_code: int
    output: str
    steps: dict[str, dict[str, Any]]

    def check_ran(self, expected_steps: tuple[str, ...]) -> None:
        """The story reported `expected_steps`, in order, and none of them failed."""
        print(self.output)
        assert list(self.steps) == list(expected_steps), (
            f"the steps differ from those expected:\n{self.output}"
        )
        failed = [s for s in self.steps.values() if s["status"] == "FAIL"]
        assert self.exit_code == 0 and not failed, (
            f"{self.story}: exit {self.exit_code}\n{self.output}"
        )

    def check_step(self, step: str) -> None:
        """`step` was reported and passed (its detail says why not)."""
        result = self.steps.get(step)
        if result is None:
            pytest.fail(f"{self.story} did not report step {step!r}:\n{self.output}")
        assert result["status"] == "PASS", (
            f"{result['title']}:\n{result['detail']}\n(the story's output, with the stack's "
            "logged warnings and errors, is in the test of the whole story)"
        )


def run_story(
    frontend: Frontend,
    story: str,
    *,
    results: Path,
    screenshots: Path,
    env: dict[str, str] | None = None,
    timeout_s: float = 900,
) -> StoryRun:
    """Run the browser story `story` against `frontend` (E2E_BASE_URL, E2E_LOGINS_FILE,
    E2E_RESULTS_DIR=`results`, E2E_SCREENSHOT_DIR=`screenshots`, plus `env`)."""
    proc = subprocess.run(
        ["node", f"tests/e2e/{story}.mjs"],
        cwd=FRONTEND,
        env={
            **os.environ,
            "E2E_BASE_URL": frontend.url,
            "E2E_LOGINS_FILE": str(frontend.logins_file),
            "E2E_RESULTS_DIR": str(results),
            "E2E_SCREENSHOT_DIR": str(screenshots),
            **(env or {}),
        },
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    report = results / f"{story}.json"
    reported = json.loads(report.read_text())["steps"] if report.is_file() else []
    output = proc.stdout + proc.stderr
    if proc.returncode != 0:  # CI's clone is gone afterwards: say what the stack logged
        output += "\nthe stack's warnings and errors:\n" + notable_log_lines(
            frontend.mesh.stack.run_dir
        )
    return StoryRun(story, proc.returncode, output, {s["id"]: s for s in reported})
