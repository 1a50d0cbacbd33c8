"""Scripted fakes for the tutor's tests: a Dapr sidecar and a language model.

`FakeSidecar` records every invocation, publish and state write, keeps state with ETags (and
refuses a stale ETag, as Dapr's first-write concurrency does), and answers `code-runner`
invocations from a script. `ScriptedModel` is an Agents SDK model that plays back fixed steps,
for the LLM path.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from learnflow.errors import Conflict
from learnflow.events import Event
from learnflow.llm.offline import Answer, CallTool, OfflineModel, Transcript

RunnerScript = Callable[[dict[str, Any]], dict[str, Any]]


def passing(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "status": "pass",
        "message": "",
        "tests": [
            {"name": "test_basic", "status": "pass", "message": "", "output": ""},
            {"name": "test_edge_case", "status": "pass", "message": "", "output": ""},
        ],
    }


def failing(message: str = "double(2) should be 4, but got None") -> RunnerScript:
    def script(body: dict[str, Any]) -> dict[str, Any]:
        return {
            "status": "fail",
            "message": "some tests failed",
            "tests": [
                {"name": "test_basic", "status": "fail", "message": message, "output": ""},
                {"name": "test_edge_case", "status": "pass", "message": "", "output": ""},
            ],
        }

    return script


@dataclass
class Invocation:
    app_id: str
    method: str
    body: Any


@dataclass
class FakeSidecar:
    """A sidecar in memory (and the outbox: `published` is what was queued). `runner` answers
    `code-runner/tests`."""

    runner: RunnerScript = passing
    invocations: list[Invocation] = field(default_factory=list)
    published: list[Event] = field(default_factory=list)
    state: dict[str, tuple[Any, str]] = field(default_factory=dict)
    saves: list[tuple[str, Any]] = field(default_factory=list)
    conflicts_to_inject: int = 0
    _etags: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def invoke(
        self,
        app_id: str,
        method: str,
        *,
        json_body: Any = None,
        http_method: str = "POST",
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        self.invocations.append(Invocation(app_id, method, copy.deepcopy(json_body)))
        if (app_id, method) == ("code-runner", "tests"):
            return self.runner(json_body)
        raise AssertionError(f"unexpected invocation {app_id}/{method}")

    async def queue(self, *events: Event, partition_key: str | None = None) -> None:
        """The outbox (`learnflow.outbox.EventSink`): what the tutor queued, in order."""
        self.published.extend(events)

    async def get_state_entry(self, key: str) -> tuple[Any | None, str | None]:
        if key not in self.state:
            return None, None
        value, etag = self.state[key]
        return copy.deepcopy(value), etag

    async def save_state(
        self, key: str, value: Any, *, etag: str | None = None, first_write: bool = True
    ) -> None:
        if self.conflicts_to_inject:
            self.conflicts_to_inject -= 1
            # Someone else wrote in between: the stored ETag moves on.
            stored, _ = self.state.get(key, ({}, ""))
            self.state[key] = (stored, str(next(self._etags)))
            raise Conflict(f"state {key!r} was changed concurrently")
        current = self.state.get(key)
        if first_write and current is not None and current[1] != etag:
            raise Conflict(f"state {key!r} was changed concurrently")
        self.state[key] = (copy.deepcopy(value), str(next(self._etags)))
        self.saves.append((key, copy.deepcopy(value)))

    def events(self, topic: str) -> list[Event]:
        return [e for e in self.published if e.topic == topic]


class ScriptedPolicy:
    """Plays back `steps` (tool calls, then an answer) regardless of the conversation, and
    records each transcript it was shown."""

    def __init__(self, *steps: CallTool | Answer) -> None:
        self.steps = list(steps)
        self.seen: list[Transcript] = []

    def next_step(self, transcript: Transcript) -> CallTool | Answer:
        self.seen.append(transcript)
        return self.steps.pop(0)


def scripted_model(*steps: CallTool | Answer) -> OfflineModel:
    """A stand-in for a language model: the SDK sees exactly the outputs scripted."""
    return OfflineModel(ScriptedPolicy(*steps))
