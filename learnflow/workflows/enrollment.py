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

from learnflow.workflows.models import EnrollInput, EnrollStep, EnrollView
from learnflow.workflows.steps import StepFailed, Steps, call, record_failure, set_status

WORKFLOW = "enrollment"

# activities (learnflow.workflows.enrollment_activities)
INIT_PROGRESS = "init_student_progress"
WELCOME = "send_welcome_notification"
FIGURES = "update_class_figures"


def instance_id(join_id: str) -> str:
    return f"enroll-{join_id}"


def enrollment_workflow(ctx: wf.DaprWorkflowContext, job: EnrollInput) -> Steps:
    timings = job.timings
    ids = {"class_id": job.class_id, "student_id": job.student_id, "join_id": job.join_id}
    view = EnrollView(class_id=job.class_id, student_id=job.student_id)
    set_status(ctx, view)
    steps: tuple[tuple[EnrollStep, str], ...] = (
        ("progress", INIT_PROGRESS),
        ("welcome", WELCOME),
        ("figures", FIGURES),
    )
    try:
        for step, activity in steps:
            view.step = step
            set_status(ctx, view)
            result = yield from call(ctx, step, activity, ids, timings)
            if step == "progress":
                view.topics_initialised = int(result.get("topics", 0))
            elif step == "welcome":
                view.welcomed = bool(result.get("created", False)) or bool(result.get("exists"))
            else:
                view.enrolled = int(result.get("enrolled", 0))
    except StepFailed as failed:
        view.failure = failed.failure
        set_status(ctx, view)
        yield from record_failure(ctx, WORKFLOW, failed.failure, timings, ids)
        return view.model_dump(mode="json")
    view.step = "done"
    set_status(ctx, view)
    return view.model_dump(mode="json")
