"""The exercise publishing workflow: a teacher's custom exercise becomes usable, or nothing does.

    begin (draft → validating) ─► validate in the sandbox (reference passes, starter fails)
        ─► index for the tutor ─► mark ready ─► notify (exercise.published)
    any step fails or validation rejects ─► compensate: unindex, back to draft, keep the reason

One instance per exercise (`publish-<exercise id>`). Each activity is idempotent and retried
within the instance's bounds; a step that fails for good also writes an ops alert. Compensation
undoes every earlier step in one transaction, so a failed publication never leaves an exercise
indexed, half-ready or announced.
"""

from __future__ import annotations

from typing import Any

import dapr.ext.workflow as wf

from learnflow.workflows.activity_models import (
    ActivitySpec,
    BeginInput,
    CompensateInput,
    ExerciseRef,
    Indexed,
    PublicationStatus,
    Published,
)
from learnflow.workflows.models import PublishInput, PublishStep, PublishView, ValidationReport
from learnflow.workflows.steps import (
    StepFailed,
    Steps,
    WorkflowStepError,
    call,
    record_failure,
    set_status,
)

WORKFLOW = "publish_exercise"

# activities (learnflow.workflows.publishing_activities)
BEGIN = ActivitySpec("begin_publication", BeginInput, PublicationStatus)
VALIDATE = ActivitySpec("validate_exercise", ExerciseRef, ValidationReport)
INDEX = ActivitySpec("index_exercise", ExerciseRef, Indexed)
MARK_READY = ActivitySpec("mark_exercise_ready", ExerciseRef, PublicationStatus)
NOTIFY = ActivitySpec("notify_exercise_published", ExerciseRef, Published)
COMPENSATE = ActivitySpec("compensate_publication", CompensateInput, PublicationStatus)


def instance_id(exercise_id: str) -> str:
    return f"publish-{exercise_id}"


class _Rejected(Exception):
    """Validation said no: a normal outcome for the teacher, not an operations problem."""


def publish_exercise_workflow(ctx: wf.DaprWorkflowContext, job: PublishInput) -> Steps:
    timings = job.timings
    ids = ExerciseRef(exercise_id=job.exercise_id, class_id=job.class_id, teacher_id=job.teacher_id)
    view = PublishView(exercise_id=job.exercise_id, class_id=job.class_id, step="validating")
    set_status(ctx, view)
    try:
        begin = BeginInput(
            exercise_id=job.exercise_id,
            class_id=job.class_id,
            teacher_id=job.teacher_id,
            instance_id=ctx.instance_id,
        )
        begun = yield from call(ctx, "begin", BEGIN, begin, timings)
        if begun.status == "ready":  # published before (a retried request): nothing to do
            view.step = "ready"
            set_status(ctx, view)
            return view.model_dump(mode="json")
        report = yield from call(ctx, "validate", VALIDATE, ids, timings)
        view.validation = report
        if not report.ok:
            raise _Rejected(report.reason or "the exercise did not pass validation")
        steps: tuple[tuple[PublishStep, ActivitySpec[ExerciseRef, Any]], ...] = (
            ("indexing", INDEX),
            ("marking_ready", MARK_READY),
        )
        for step, activity in steps:
            view.step = step
            set_status(ctx, view)
            yield from call(ctx, step, activity, ids, timings)
        view.step = "notifying"
        set_status(ctx, view)
        yield from call(ctx, "notifying", NOTIFY, ids, timings)
    except _Rejected as rejected:
        view = yield from _compensate(ctx, view, job, str(rejected))
        return view.model_dump(mode="json")
    except StepFailed as failed:
        view.failure = failed.failure
        yield from record_failure(ctx, WORKFLOW, failed.failure, timings, ids.model_dump())
        reason = f"could not publish: {failed.failure.step} failed ({failed.failure.error})"
        view = yield from _compensate(ctx, view, job, reason)
        return view.model_dump(mode="json")
    view.step = "ready"
    set_status(ctx, view)
    return view.model_dump(mode="json")


def _compensate(
    ctx: wf.DaprWorkflowContext, view: PublishView, job: PublishInput, reason: str
) -> Steps:
    view.step = "compensating"
    view.reason = reason
    set_status(ctx, view)
    payload = CompensateInput(exercise_id=job.exercise_id, reason=reason)
    try:
        yield from call(ctx, "compensating", COMPENSATE, payload, job.timings)
    except StepFailed as failed:  # left for an operator: the alert says which exercise
        view.failure = failed.failure
        set_status(ctx, view)
        details = payload.model_dump()
        yield from record_failure(ctx, WORKFLOW, failed.failure, job.timings, details)
        raise WorkflowStepError(str(failed)) from None
    view.step = "draft"
    set_status(ctx, view)
    return view
