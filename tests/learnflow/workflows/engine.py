"""A fake workflow engine for unit tests: the SDK's real orchestrator executor, driven the way
daprd drives it.

daprd keeps each instance's history; on every turn (start, event, timer, activity result) it
sends the whole history plus the new events to the worker, which *replays* the orchestrator from
the beginning and answers with the actions of the new turn. `FakeEngine` does exactly that with
`_OrchestrationExecutor` (the same code the worker runs), so every turn of a unit test replays
everything before it: an orchestrator that decides differently on replay fails with the SDK's
`NonDeterminismError`, as it would in production.

The test plays the outside world: it raises events, moves the clock (firing due timers) and
completes or fails activities, by hand or with `settle(handlers)`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import dapr.ext.workflow as wf
from dapr.ext.workflow._durabletask.internal import helpers as ph
from dapr.ext.workflow._durabletask.internal import protos as pb
from dapr.ext.workflow._durabletask.internal import shared
from dapr.ext.workflow._durabletask.internal.timer import is_optional_timer_action
from dapr.ext.workflow._durabletask.worker import _OrchestrationExecutor, _Registry

from learnflow.workflows.registry import register_workflows

log = logging.getLogger("tests.fake_engine")

STATUS = {
    pb.ORCHESTRATION_STATUS_COMPLETED: "COMPLETED",
    pb.ORCHESTRATION_STATUS_FAILED: "FAILED",
    pb.ORCHESTRATION_STATUS_TERMINATED: "TERMINATED",
}


def production_registry() -> _Registry:
    """The orchestrators and activities exactly as the triage app registers them."""
    runtime = wf.WorkflowRuntime(host="127.0.0.1", port="1")  # never started: no connection
    register_workflows(runtime)
    registry: _Registry = runtime._WorkflowRuntime__worker._registry  # type: ignore[attr-defined]
    return registry


class NonDeterministic(AssertionError):
    pass


class FakeEngine:
    def __init__(
        self,
        workflow: str,
        instance_id: str,
        payload: Any,
        *,
        start: datetime | None = None,
        registry: _Registry | None = None,
    ) -> None:
        self.workflow = workflow
        self.instance_id = instance_id
        self.registry = registry or production_registry()
        self.now = start or datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
        self.history: list[pb.HistoryEvent] = []
        self.timers: dict[int, datetime] = {}
        self.activities: dict[int, tuple[str, Any]] = {}
        self.custom_status: Any = None
        self.status: str = "RUNNING"
        self.output: Any = None
        self.failure: str | None = None
        self.generation = 0
        self.turns = 0
        self.scheduled: list[str] = []  # every activity ever scheduled, in order
        self.calls: list[tuple[str, Any]] = []  # the same, with each one's input
        self._start(payload)

    # --- what the test does ----------------------------------------------------------------------
    def raise_event(self, name: str, data: Any) -> None:
        self._turn([ph.new_event_raised_event(name, shared.to_json(data))])

    def advance(self, seconds: float) -> None:
        """Move the clock; every timer that falls due fires, earliest first, one turn each."""
        target = self.now + timedelta(seconds=seconds)
        while self.status == "RUNNING":
            due = sorted((at, tid) for tid, at in self.timers.items() if at <= target)
            if not due:
                break
            at, timer_id = due[0]
            self.now = max(self.now, at)
            del self.timers[timer_id]
            self._turn([ph.new_timer_fired_event(timer_id, at)])
        self.now = max(self.now, target)

    def pending(self, name: str | None = None) -> list[tuple[int, str, Any]]:
        return [
            (task_id, activity, body)
            for task_id, (activity, body) in sorted(self.activities.items())
            if name is None or activity == name
        ]

    def complete(self, name: str, result: Any = None) -> Any:
        task_id, _, body = self._oldest(name)
        del self.activities[task_id]
        encoded = None if result is None else shared.to_json(result)
        self._turn([ph.new_task_completed_event(task_id, encoded)])
        return body

    def fail(self, name: str, error: Exception) -> Any:
        task_id, _, body = self._oldest(name)
        del self.activities[task_id]
        self._turn([ph.new_task_failed_event(task_id, error)])
        return body

    def settle(self, handlers: Mapping[str, Callable[[Any], Any]], *, max_turns: int = 200) -> None:
        """Run pending activities with `handlers` (a raise fails the attempt) until none is left;
        retry timers are fired as they fall due. Activities without a handler stay pending."""
        for _ in range(max_turns):
            runnable = [p for p in self.pending() if p[1] in handlers]
            if runnable:
                _, name, body = runnable[0]
                try:
                    result = handlers[name](body)
                except Exception as exc:  # the activity attempt failed
                    self.fail(name, exc)
                else:
                    self.complete(name, result)
                continue
            retry_at = [at for tid, at in self.timers.items() if tid in self._retry_timers]
            if not retry_at or self.status != "RUNNING":
                return
            self.advance((min(retry_at) - self.now).total_seconds())
        raise AssertionError(f"settle() did not finish within {max_turns} turns")

    # --- the engine ------------------------------------------------------------------------------
    def _oldest(self, name: str) -> tuple[int, str, Any]:
        found = self.pending(name)
        if not found:
            raise AssertionError(f"no pending {name!r}; pending: {self.pending()}")
        return found[0]

    def _start(self, payload: Any) -> None:
        self._retry_timers: set[int] = set()
        started = ph.new_execution_started_event(
            self.workflow, self.instance_id, shared.to_json(payload)
        )
        self._turn([started])

    def _turn(self, events: list[pb.HistoryEvent], *, extra: list[pb.HistoryEvent] = ()) -> None:
        if self.status != "RUNNING":
            return  # the engine drops events for a finished instance
        new = [ph.new_workflow_started_event(self.now.replace(tzinfo=None)), *events, *extra]
        executor = _OrchestrationExecutor(self.registry, log)
        result = executor.execute(self.instance_id, list(self.history), new)
        self.turns += 1
        self.history.extend(new)
        if result.encoded_custom_status is not None:
            self.custom_status = json.loads(result.encoded_custom_status)
        for action in result.actions:
            self._apply(action)

    def _apply(self, action: pb.WorkflowAction) -> None:
        if action.HasField("createTimer"):
            timer = action.createTimer
            created = pb.TimerCreatedEvent(fireAt=timer.fireAt, name=timer.name)
            origin = timer.WhichOneof("origin")
            if origin is not None:
                getattr(created, origin).CopyFrom(getattr(timer, origin))
            self.history.append(pb.HistoryEvent(eventId=action.id, timerCreated=created))
            if not is_optional_timer_action(action):
                fire_at = timer.fireAt.ToDatetime().replace(tzinfo=UTC)
                self.timers[action.id] = fire_at
                if origin == "activityRetry":
                    self._retry_timers.add(action.id)
        elif action.HasField("scheduleTask"):
            task = action.scheduleTask
            self.history.append(
                ph.new_task_scheduled_event(action.id, task.name, task.input.value or None)
            )
            body = json.loads(task.input.value) if task.input.value else None
            self.activities[action.id] = (task.name, body)
            self.scheduled.append(task.name)
            self.calls.append((task.name, body))
        elif action.HasField("completeWorkflow"):
            self._complete(action.completeWorkflow)
        else:  # pragma: no cover - the workflows under test use no other action
            raise AssertionError(f"unexpected action {action}")

    def _complete(self, done: pb.CompleteWorkflowAction) -> None:
        result = json.loads(done.result.value) if done.result.value else None
        if done.workflowStatus == pb.ORCHESTRATION_STATUS_CONTINUED_AS_NEW:
            carried = list(done.carryoverEvents)
            self.generation += 1
            self.history, self.timers, self.activities = [], {}, {}
            self.status = "RUNNING"
            self._retry_timers = set()
            started = ph.new_execution_started_event(
                self.workflow, self.instance_id, shared.to_json(result)
            )
            self._turn([started], extra=carried)
            return
        self.status = STATUS.get(done.workflowStatus, str(done.workflowStatus))
        self.output = result
        if done.HasField("failureDetails"):
            details = done.failureDetails
            self.failure = f"{details.errorType}: {details.errorMessage}"
            if details.errorType == "NonDeterminismError":
                raise NonDeterministic(self.failure)
