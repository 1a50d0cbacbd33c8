"""The enrollment workflow: what follows a student joining a class with its code.

    initialise the student's progress (a row per module) ─► welcome notification
        ─► recompute the class figures

The join itself (the rules: code exists, not already in, below the cap, class open) is one
database transaction in the route; this workflow runs after it commits, one instance per join
(`enroll-<join id>`). Every activity is idempotent (inserts that skip what exists, figures
recomputed from the enrollments), so a replay or a retried step changes nothing twice. A step
that fails for good writes an ops alert; the enrollment itself stands (the student is in).
"""

from __future__ import annotations

import dapr.ext.workflow as wf

from learnflow.workflows.activity_models import (
    ActivitySpec,
    ClassFigures,
    JoinRef,
    ProgressInitialised,
    Welcomed,
)
from learnflow.workflows.models import EnrollInput, EnrollView
from learnflow.workflows.steps import StepFailed, Steps, call, record_failure, set_status

WORKFLOW = "enrollment"

# activities (learnflow.workflows.enrollment_activities)
INIT_PROGRESS = ActivitySpec("init_student_progress", JoinRef, ProgressInitialised)
WELCOME = ActivitySpec("send_welcome_notification", JoinRef, Welcomed)
FIGURES = ActivitySpec("update_class_figures", JoinRef, ClassFigures)


def instance_id(join_id: str) -> str:
    return f"enroll-{join_id}"


def enrollment_workflow(ctx: wf.DaprWorkflowContext, job: EnrollInput) -> Steps:
    timings = job.timings
    ids = JoinRef(class_id=job.class_id, student_id=job.student_id, join_id=job.join_id)
    view = EnrollView(class_id=job.class_id, student_id=job.student_id)
    set_status(ctx, view)
    try:
        view.step = "progress"
        set_status(ctx, view)
        progress = yield from call(ctx, "progress", INIT_PROGRESS, ids, timings)
        view.topics_initialised = progress.topics
        view.step = "welcome"
        set_status(ctx, view)
        welcome = yield from call(ctx, "welcome", WELCOME, ids, timings)
        view.welcomed = welcome.created
        view.step = "figures"
        set_status(ctx, view)
        figures = yield from call(ctx, "figures", FIGURES, ids, timings)
        view.enrolled = figures.enrolled
    except StepFailed as failed:
        view.failure = failed.failure
        set_status(ctx, view)
        yield from record_failure(ctx, WORKFLOW, failed.failure, timings, ids.model_dump())
        return view.model_dump(mode="json")
    view.step = "done"
    set_status(ctx, view)
    return view.model_dump(mode="json")
