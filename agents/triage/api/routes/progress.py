"""Progress for students and their teachers; answers come from debrief (through Dapr).

Role checks happen here (a student's own progress and next exercise need the student role;
reports need a teacher); relationship checks (whose data) happen in debrief.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response

from learnflow.api.deps import SidecarDep
from learnflow.auth.deps import CurrentUser
from triage_agent import report_csv
from triage_agent.api.deps import Staff, Student
from triage_agent.debrief_client import ask_debrief

router = APIRouter(tags=["progress"])


@router.get("/progress/me")
async def my_progress(user: Student, sidecar: SidecarDep) -> Any:
    """Mastery (0–100) and level per topic, every curriculum module in teaching order."""
    return await ask_debrief(sidecar, user, f"students/{user.user_id}/progress")


@router.get("/progress/me/report")
async def my_progress_report(user: Student, sidecar: SidecarDep) -> Any:
    """The caller's own record, module by module: mastery, level, exercises passed, failed
    submissions, best quiz, time on task."""
    return await ask_debrief(sidecar, user, f"students/{user.user_id}/progress-report")


@router.get(
    "/progress/me/report.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "UTF-8 CSV with a header row"}},
)
async def my_progress_report_csv(user: Student, sidecar: SidecarDep) -> Response:
    """The same record as a CSV download."""
    report = await ask_debrief(sidecar, user, f"students/{user.user_id}/progress-report")
    header, rows = report_csv.progress_table(report)
    name = report_csv.filename("progress-report", report["display_name"])
    return report_csv.response(report_csv.to_csv(header, rows), name)


@router.get("/students/{student_id}/progress")
async def student_progress(student_id: UUID, user: CurrentUser, sidecar: SidecarDep) -> Any:
    """A student's progress: for the student themself or a teacher of their class."""
    return await ask_debrief(sidecar, user, f"students/{student_id}/progress")


@router.get("/students/{student_id}/report")
async def student_report(student_id: UUID, user: Staff, sidecar: SidecarDep) -> Any:
    """A report on one student for their teacher (progress, errors, alerts, next step)."""
    return await ask_debrief(sidecar, user, f"students/{student_id}/report")


@router.get("/exercises/next")
async def next_exercise(user: Student, sidecar: SidecarDep) -> Any:
    """The exercise to do next: an unfinished assignment, else one on the weakest topic at the
    difficulty of the student's level there."""
    return await ask_debrief(sidecar, user, f"students/{user.user_id}/next-exercise")
