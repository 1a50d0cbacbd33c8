"""Helpers the orchestrators share: bounded retries, steps that fail visibly, JSON status.

Orchestrators are generators replayed from their history, so everything here is deterministic:
no clocks, no I/O, no randomness — only calls on the workflow context.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import dapr.ext.workflow as wf
from pydantic import BaseModel, JsonValue

from learnflow.workflows.activity_models import ActivitySpec, AlertOpened, FailureInput, In, Out
from learnflow.workflows.models import StepFailure, Timings

RECORD_FAILURE = ActivitySpec("record_workflow_failure", FailureInput, AlertOpened)
"""The activity that turns a step that failed for good into an ops alert row."""

Steps = Generator[Any, Any, Any]
"""An orchestrator or a part of one: yields engine tasks, is sent their results."""


class StepFailed(Exception):
    """An activity failed after its retries (or with a non-retryable error)."""

    def __init__(self, failure: StepFailure) -> None:
        super().__init__(
            f"step {failure.step!r} failed after {failure.attempts} attempt(s): {failure.error}"
        )
        self.failure = failure


class WorkflowStepError(Exception):
    """Raised out of an orchestrator so its instance ends FAILED, naming the failed step."""


def retry_policy(timings: Timings) -> wf.RetryPolicy:
    """The bounded retry policy of every activity of an instance (durable timers between tries)."""
    return wf.RetryPolicy(
        first_retry_interval=timedelta(seconds=timings.retry_first_interval_s),
        max_number_of_attempts=timings.retry_max_attempts,
        backoff_coefficient=timings.retry_backoff,
        max_retry_interval=timedelta(seconds=timings.retry_max_interval_s),
    )


def now(ctx: wf.DaprWorkflowContext) -> datetime:
    """The orchestration's replay-safe clock, as an aware UTC datetime."""
    current: datetime = ctx.current_utc_datetime
    return current if current.tzinfo else current.replace(tzinfo=UTC)


def set_status(ctx: wf.DaprWorkflowContext, view: BaseModel) -> None:
    ctx.set_custom_status(json.dumps(view.model_dump(mode="json"), sort_keys=True))


def call(
    ctx: wf.DaprWorkflowContext,
    step: str,
    activity: ActivitySpec[In, Out],
    payload: In,
    timings: Timings,
) -> Generator[Any, Any, Out]:
    """Run one activity with the instance's retry policy; its output, or `StepFailed` once it
    gives up.

    The activity's own timeout travels in its payload (`timeout_s`, the last key), so a hung
    dependency becomes a failed attempt that the policy retries, not a step that never ends.
    """
    body = {**payload.model_dump(mode="json"), "timeout_s": timings.activity_timeout_s}
    try:
        result = yield ctx.call_activity(
            str(activity), input=body, retry_policy=retry_policy(timings)
        )
    except wf.TaskFailedError as exc:
        details = exc.details
        permanent = details.error_type == "NonRetryableError"
        raise StepFailed(
            StepFailure(
                step=step,
                error=f"{details.error_type}: {details.message}"[:500],
                attempts=1 if permanent else timings.retry_max_attempts,
            )
        ) from exc
    return activity.output.model_validate(result)


def record_failure(
    ctx: wf.DaprWorkflowContext,
    workflow: str,
    failure: StepFailure,
    timings: Timings,
    details: Mapping[str, JsonValue] | None = None,
) -> Steps:
    """Write the ops alert of a failed step; an alert that cannot be written is not fatal."""
    payload = FailureInput(
        workflow=workflow,
        instance_id=ctx.instance_id,
        step=failure.step,
        message=failure.error,
        details={"attempts": failure.attempts, **(details or {})},
    )
    try:
        yield from call(ctx, "alert", RECORD_FAILURE, payload, timings)
    except StepFailed:
        return False
    return True
