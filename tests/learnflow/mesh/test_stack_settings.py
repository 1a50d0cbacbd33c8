"""A stack's own settings stay its own: two stacks started by one process (the integration
tests', then the web app's) must not share a test stack's short workflow timers. CI once ran the
integration stack with the chaos drills' retry bound because the drills wrote theirs into
`os.environ`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from learnflow.mesh import services
from learnflow.mesh.stack import Stack, stack_settings
from learnflow.settings import Settings

KEY = "LEARNFLOW_WORKFLOW_RETRY_MAX_ATTEMPTS"


def _python_app_env(stack: Stack, run_dir: Path) -> dict[str, str]:
    spec = next(s for s in stack.apps if not services.is_next_app(s))
    return stack.app_env(spec, services.RunSecrets.load_or_create(run_dir))


def test_a_stacks_settings_reach_its_apps_and_no_other_stack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY, raising=False)
    first = Stack(
        Settings(run_dir=tmp_path / "a", port_offset=0),
        lambda _: None,
        app_settings=stack_settings({KEY: "5"}),
    )
    second = Stack(Settings(run_dir=tmp_path / "b", port_offset=100), lambda _: None)

    assert _python_app_env(first, tmp_path / "a")[KEY] == "5"
    assert KEY not in _python_app_env(second, tmp_path / "b")
    assert KEY not in os.environ


def test_a_value_set_in_the_environment_wins_over_a_stacks_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(KEY, "7")
    assert stack_settings({KEY: "3", "LEARNFLOW_WORKFLOW_STUCK_AFTER_S": "4"}) == {
        KEY: "7",
        "LEARNFLOW_WORKFLOW_STUCK_AFTER_S": "4",
    }
