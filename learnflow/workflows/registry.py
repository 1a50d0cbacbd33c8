"""Registering LearnFlow's workflows and activities on a Dapr `WorkflowRuntime`."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import dapr.ext.workflow as wf

from learnflow.workflows import enrollment, publishing, session
from learnflow.workflows import enrollment_activities as _enrollment_activities  # noqa: F401
from learnflow.workflows import live_activities as _live_activities  # noqa: F401
from learnflow.workflows import publishing_activities as _publishing_activities  # noqa: F401
from learnflow.workflows import session_activities as _session_activities  # noqa: F401
from learnflow.workflows.activities import ACTIVITIES, WireActivity

WORKFLOWS: dict[str, Callable[..., Any]] = {
    session.WORKFLOW: session.session_workflow,
    publishing.WORKFLOW: publishing.publish_exercise_workflow,
    enrollment.WORKFLOW: enrollment.enrollment_workflow,
}


def _workflow_entry(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A fresh callable per registration.

    The SDK marks a registered function and refuses to register it twice, which would allow one
    runtime per process (tests build several); its input annotation (a pydantic model, which the
    SDK validates the input into) is kept on the signature.
    """

    def entry(ctx: wf.DaprWorkflowContext, payload: Any) -> Any:
        return fn(ctx, payload)

    entry.__name__ = fn.__name__
    entry.__signature__ = inspect.signature(fn, eval_str=True)  # type: ignore[attr-defined]
    return entry


def _activity_entry(fn: WireActivity) -> Callable[..., Any]:
    """The activity with the context the SDK passes first. Its input stays unannotated JSON:
    the SDK would otherwise coerce it itself, before `activity` reads `timeout_s` from it."""

    async def entry(ctx: wf.WorkflowActivityContext, payload: Any) -> Any:
        return await fn(payload)

    entry.__name__ = fn.__name__
    return entry


def register_workflows(runtime: wf.WorkflowRuntime) -> None:
    """Register every LearnFlow workflow and activity under its stable name."""
    for name, fn in WORKFLOWS.items():
        runtime.register_workflow(_workflow_entry(fn), name=name)
    for name, activity_fn in ACTIVITIES.items():
        runtime.register_activity(_activity_entry(activity_fn), name=name)
