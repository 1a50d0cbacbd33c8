"""Classes of the caller, and a class's overview and report (its teacher only)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from debrief_agent import access, agent, reports, views
from debrief_agent.agent import DebriefContext
from debrief_agent.api.deps import AgentDep, CallerDep
from debrief_agent.models import ClassOverview, ClassReport, ClassSummary
from learnflow.api.deps import PoolDep, SettingsDep

router = APIRouter(prefix="/classes", tags=["classes"])


@router.get("", response_model=list[ClassSummary])
async def my_classes(caller: CallerDep, pool: PoolDep) -> list[ClassSummary]:
    """The classes a teacher teaches, a student is enrolled in, or (admins) every class."""
    async with pool.connection() as conn:
        return await views.classes_of(conn, caller.user_id, caller.role)


@router.get("/{class_id}/overview", response_model=ClassOverview)
async def class_overview(class_id: UUID, caller: CallerDep, pool: PoolDep) -> ClassOverview:
    async with pool.connection() as conn:
        school_class = await access.class_taught_by(conn, caller, class_id)
        return await views.class_overview(conn, school_class)


@router.get("/{class_id}/report", response_model=ClassReport)
async def class_report(
    class_id: UUID, caller: CallerDep, pool: PoolDep, debrief: AgentDep, settings: SettingsDep
) -> ClassReport:
    """Only the class's teacher (or an admin): 403 for anyone else, another teacher included."""
    async with pool.connection() as conn:
        school_class = await access.class_taught_by(conn, caller, class_id)
        report = await reports.class_report(
            conn, school_class, active_gap_s=settings.workflow_active_gap_s
        )
    written = await agent.run_task(debrief, "class-report", DebriefContext(class_report=report))
    summary = written.text
    return report.model_copy(update={"summary": summary})
