"""Fakes for unit tests of pure logic and for in-process tools: one in-memory Dapr sidecar and
one scripted model.

`FakeSidecar` is *not* Dapr: no daprd, no network, no durability, no pub/sub delivery. It keeps
state in a dict with ETags (refusing a stale ETag as Dapr's first-write concurrency does),
records every invocation, state write and queued event, and answers service invocations from a
table of handlers — for `code-runner`'s `tests` method a scripted verdict (`passing`, `failing`)
in unit tests, or the real sandbox (`sandbox_runner`) in `learnflow ask` and the extraction
evaluation. A test built on it is a unit test; tests of the real runtime live in
tests/integration/ and use the real daprd, Kafka and PostgreSQL.

It satisfies `learnflow.sidecar.Mesh` (what the tutor needs from a sidecar),
`learnflow.outbox.EventSink` (`queue`: what was queued, kept in `published`) and the outbox
relay's `learnflow.outbox.publisher.PubSub` (`publish`, `publish_bulk`: a scripted broker that
takes each entry, also kept in `published`, or refuses the ids listed in `refuse`).

`ScriptedPolicy` / `scripted_model`: a stand-in for a language model that plays back fixed steps
through the offline model's machinery, so the Agents SDK sees exactly the outputs scripted. A
step may also be an exception, raised where the model would have answered (an endpoint failure),
and the policy keeps every transcript it was shown (instructions, tools offered, tool results) so
a test can check what the real tools returned. `on_a_model` gives an app the settings of a
configured endpoint, so what its replies say about their author (`SpecialistReply.model`) is the
model's name while a scripted model answers.
"""

from __future__ import annotations

import copy
import importlib
import inspect
import itertools
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from learnflow.errors import Conflict, DependencyFailed, InvalidInput
from learnflow.events import Event
from learnflow.llm.offline import Answer, CallTool, OfflineModel, Transcript
from learnflow.settings import Settings
from learnflow.sidecar import BULK_MAX_ENTRIES, BulkPublishResult

__all__ = [
    "SCRIPTED_MODEL",
    "BulkRequest",
    "FakeSidecar",
    "Handler",
    "Invocation",
    "RunnerScript",
    "ScriptedPolicy",
    "ScriptedStep",
    "failing",
    "on_a_model",
    "passing",
    "sandbox_runner",
    "scripted_model",
]

#: Answers one invocation from its JSON body (plain or async).
Handler = Callable[[Any], Any]
#: Answers `code-runner/tests` from its body: `{"code", "tests", "module_name", ...}`.
RunnerScript = Callable[[dict[str, Any]], dict[str, Any]]

CODE_RUNNER_TESTS = ("code-runner", "tests")


def passing(body: dict[str, Any]) -> dict[str, Any]:
    """A scripted code-runner verdict: both tests pass (whatever the code is)."""
    return {
        "status": "pass",
        "message": "",
        "tests": [
            {"name": "test_basic", "status": "pass", "message": "", "output": ""},
            {"name": "test_edge_case", "status": "pass", "message": "", "output": ""},
        ],
    }


def failing(message: str = "double(2) should be 4, but got None") -> RunnerScript:
    """A scripted code-runner verdict: `test_basic` fails with `message`."""

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


async def sandbox_runner(body: Any) -> Any:
    """`code-runner/tests` answered by the real sandbox in this process (`code_runner.sandbox`,
    imported on first use: the shared package does not depend on a service at import time)."""
    sandbox: Any = importlib.import_module("code_runner.sandbox")
    request = dict(body or {})
    return await sandbox.arun_tests(request["code"], request["tests"], request["module_name"])


@dataclass
class Invocation:
    app_id: str
    method: str
    body: Any


@dataclass(frozen=True)
class BulkRequest:
    """One bulk publish request `FakeSidecar` received: its topic, the entry ids in order and
    the partition keys given."""

    topic: str
    ids: list[str]
    partition_keys: dict[str, str]


@dataclass
class FakeSidecar:
    """An in-memory stand-in for one app's Dapr sidecar (see the module docstring).

    `runner` answers `code-runner/tests` (a scripted verdict by default); `handlers` adds or
    overrides answers for other `(app_id, method)` pairs. Any other invocation raises
    `InvalidInput` naming it and `where` ("in this fake", "without the mesh", ...).
    `conflicts_to_inject` makes the next N `save_state` calls fail as if another writer got in
    first (the stored ETag moves on). `refuse` (event id -> error) makes its fake broker refuse
    those events for as long as they are listed; the other entries of a bulk request are taken,
    as Kafka answers per entry."""

    runner: Handler = passing
    handlers: dict[tuple[str, str], Handler] = field(default_factory=dict)
    where: str = "in this fake sidecar"
    invocations: list[Invocation] = field(default_factory=list)
    published: list[Event] = field(default_factory=list)
    state: dict[str, tuple[Any, str]] = field(default_factory=dict)
    saves: list[tuple[str, Any]] = field(default_factory=list)
    conflicts_to_inject: int = 0
    refuse: dict[str, str] = field(default_factory=dict)
    bulk_requests: list[BulkRequest] = field(default_factory=list)
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
        handler = self.handlers.get((app_id, method))
        if handler is None and (app_id, method) == CODE_RUNNER_TESTS:
            handler = self.runner
        if handler is None:
            raise InvalidInput(f"{app_id}/{method} is not available {self.where}")
        answer = handler(json_body)
        if inspect.isawaitable(answer):
            awaited: Awaitable[Any] = answer
            return await awaited
        return answer

    async def queue(self, *events: Event, partition_key: str | None = None) -> None:
        """The outbox (`learnflow.outbox.EventSink`): what was queued, in order."""
        self.published.extend(events)

    async def publish(self, event: Event, *, partition_key: str | None = None) -> None:
        """One event to the fake broker (`DependencyFailed` when it is in `refuse`)."""
        if event.id in self.refuse:
            raise DependencyFailed(self.refuse[event.id], dependency="pubsub")
        self.published.append(event)

    async def publish_bulk(
        self,
        events: Sequence[Event],
        *,
        partition_keys: Mapping[str, str] | None = None,
        attempts: int = 3,
        backoff_s: float = 0.2,
    ) -> BulkPublishResult:
        """Like `Sidecar.publish_bulk`: one request per topic and `BULK_MAX_ENTRIES` events,
        each recorded in `bulk_requests`. One attempt whatever `attempts` says: a refusal lasts
        as long as the id is in `refuse`."""
        result = BulkPublishResult()
        by_topic: dict[str, dict[str, Event]] = {}
        for event in events:
            by_topic.setdefault(event.topic, {}).setdefault(event.id, event)
        keys = dict(partition_keys or {})
        for topic, unique in by_topic.items():
            topic_events = list(unique.values())
            for start in range(0, len(topic_events), BULK_MAX_ENTRIES):
                chunk = topic_events[start : start + BULK_MAX_ENTRIES]
                ids = [e.id for e in chunk]
                self.bulk_requests.append(
                    BulkRequest(topic, ids, {i: keys[i] for i in ids if i in keys})
                )
                for event in chunk:
                    if event.id in self.refuse:
                        result.failed[event.id] = self.refuse[event.id]
                    else:
                        self.published.append(event)
                        result.published.append(event.id)
        return result

    def events(self, topic: str) -> list[Event]:
        """The queued events of `topic`, in order."""
        return [e for e in self.published if e.topic == topic]

    async def get_state(self, key: str) -> Any | None:
        value, _ = await self.get_state_entry(key)
        return value

    async def get_state_entry(self, key: str) -> tuple[Any | None, str | None]:
        found = self.state.get(key)
        return (copy.deepcopy(found[0]), found[1]) if found else (None, None)

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


#: One scripted model turn: call a tool, answer, or fail (the exception is raised in its place).
ScriptedStep = CallTool | Answer | BaseException


class ScriptedPolicy:
    """Plays back `steps` (tool calls, then an answer) regardless of the conversation, and
    records each transcript it was shown. An exception step is raised instead of answering, as
    a failing model endpoint would (e.g. `openai.APIConnectionError`)."""

    def __init__(self, *steps: ScriptedStep) -> None:
        self.steps = list(steps)
        self.seen: list[Transcript] = []

    def next_step(self, transcript: Transcript) -> CallTool | Answer:
        self.seen.append(transcript)
        if not self.steps:
            raise AssertionError("the agent asked the scripted model for more steps than scripted")
        step = self.steps.pop(0)
        if isinstance(step, BaseException):
            raise step
        return step


def scripted_model(*steps: ScriptedStep) -> OfflineModel:
    """A stand-in for a language model: the SDK sees exactly the outputs scripted."""
    return OfflineModel(ScriptedPolicy(*steps))


#: The model name `on_a_model` configures.
SCRIPTED_MODEL = "scripted-llm"


def on_a_model(settings: Settings, name: str = SCRIPTED_MODEL) -> Settings:
    """`settings` with an OpenAI-compatible endpoint configured whose model is `name` (nothing
    is ever sent to it: a test scripts the model the agent runs on)."""
    return settings.model_copy(update={"llm_base_url": "http://llm.invalid/v1", "llm_model": name})
