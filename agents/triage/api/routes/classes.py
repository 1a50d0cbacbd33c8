"""Classes: the caller's list, and a class's overview and report (its teacher only).

    GET /classes/{id}/report                  the report (JSON): overview, who needs help, mastery
                                              spread per module, most failed exercises, time on task
    GET /classes/{id}/report.csv?table=...    one of its tables as CSV: students (default),
                                              modules, exercises

401 without a login, 403 for a student or a teacher of another class (debrief checks whose
class it is).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Response

from learnflow.api.deps import SidecarDep
from learnflow.auth.deps import CurrentUser
from triage_agent import report_csv
from triage_agent.api.deps import Staff
from triage_agent.debrief_client import ask_debrief

router = APIRouter(prefix="/classes", tags=["classes"])


@router.get("")
async def my_classes(user: CurrentUser, sidecar: SidecarDep) -> Any:
    """The classes the caller teaches (teachers) or is enrolled in (students)."""
    return await ask_debrief(sidecar, user, "classes")


@router.get("/{class_id}/overview")
async def class_overview(class_id: UUID, user: Staff, sidecar: SidecarDep) -> Any:
    """Every student's mastery per topic, topic averages and open alerts."""
    return await ask_debrief(sidecar, user, f"classes/{class_id}/overview")


@router.get("/{class_id}/report")
async def class_report(class_id: UUID, user: Staff, sidecar: SidecarDep) -> Any:
    """The overview plus who needs attention and why, and a written summary."""
    return await ask_debrief(sidecar, user, f"classes/{class_id}/report")


CsvTable = Literal["students", "modules", "exercises"]


@router.get(
    "/{class_id}/report.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "UTF-8 CSV with a header row"}},
)
async def class_report_csv(
    class_id: UUID,
    user: Staff,
    sidecar: SidecarDep,
    table: Annotated[CsvTable, Query(description="which table of the report")] = "students",
) -> Response:
    """One table of the class report as a CSV download (the figures the report page shows)."""
    report = await ask_debrief(sidecar, user, f"classes/{class_id}/report")
    header, rows = report_csv.class_table(report, table)
    name = report_csv.filename("class-report", report["overview"]["name"], table)
    return report_csv.response(report_csv.to_csv(header, rows), name)
