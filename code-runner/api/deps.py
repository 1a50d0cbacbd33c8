"""Dependency aliases for the code-runner routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from code_runner.sandbox.runner import Runner
from learnflow.outbox import EventSink


def _runner(request: Request) -> Runner:
    runner: Runner = request.app.state.runner
    return runner


def _events(request: Request) -> EventSink:
    events: EventSink = request.app.state.events
    return events


RunnerDep = Annotated[Runner, Depends(_runner)]
EventsDep = Annotated[EventSink, Depends(_events)]
