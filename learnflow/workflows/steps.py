"""Helpers the orchestrators share: bounded retries, steps that fail visibly, JSON status.

Orchestrators are generators replayed from their history, so everything here is deterministic:
no clocks, no I/O, no randomness — only calls on the workflow context.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from datetime import UTC, datetime, timedelta
from typing import Any

import dapr.ext.workflow as wf
from pydantic import BaseModel

from learnflow.workflows.models import StepFailure, Timings

RECORD_FAILURE = "record_workflow_failure"
"""The activity that turns a step that failed for good into an ops alert row."""

Steps = Generator[Any, Any, Any]


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
    ctx: wf.DaprWorkflowContext, step: str, activity: str, payload: dict[str, Any], timings: Timings
) -> Steps:
    """Run one activity with the instance's retry policy; `StepFailed` once it gives up.

    The activity's own timeout travels in its payload (`timeout_s`), so a hung dependency
    becomes a failed attempt that the policy retries, not a step that never ends.
    """
    body = {**payload, "timeout_s": timings.activity_timeout_s}
    try:
        return (yield ctx.call_activity(activity, input=body, retry_policy=retry_policy(timings)))
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


def record_failure(
    ctx: wf.DaprWorkflowContext,
    workflow: str,
    failure: StepFailure,
    timings: Timings,
    details: dict[str, Any] | None = None,
) -> Steps:
    """Write the ops alert of a failed step; an alert that cannot be written is not fatal."""
    payload = {
        "workflow": workflow,
        "instance_id": ctx.instance_id,
        "step": failure.step,
        "message": failure.error,
        "details": {"attempts": failure.attempts, **(details or {})},
    }
    try:
        yield from call(ctx, "alert", RECORD_FAILURE, payload, timings)
    except StepFailed:
        return False
    return True
