"""Dependency aliases for the code-runner routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from code_runner.sandbox.runner import Runner


def _runner(request: Request) -> Runner:
    runner: Runner = request.app.state.runner
    return runner


RunnerDep = Annotated[Runner, Depends(_runner)]
