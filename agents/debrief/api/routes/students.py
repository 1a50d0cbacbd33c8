"""A student's progress, next exercise, own progress report and teacher report (callers
forwarded by triage)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from debrief_agent import access, agent, reports, views
from debrief_agent.agent import DebriefContext
from debrief_agent.api.deps import AgentDep, CallerDep
from debrief_agent.models import (
    NextExercise,
    StudentProgress,
    StudentProgressReport,
    StudentReport,
)
from learnflow.api.deps import PoolDep, SettingsDep

router = APIRouter(prefix="/students", tags=["progress"])


@router.get("/{student_id}/progress", response_model=StudentProgress)
async def student_progress(student_id: UUID, caller: CallerDep, pool: PoolDep) -> StudentProgress:
    async with pool.connection() as conn:
        student = await access.student_visible_to(conn, caller, student_id)
        return await views.student_progress(conn, student)


@router.get("/{student_id}/next-exercise", response_model=NextExercise)
async def next_exercise(student_id: UUID, caller: CallerDep, pool: PoolDep) -> NextExercise:
    async with pool.connection() as conn:
        student = await access.student_visible_to(conn, caller, student_id)
        progress = await views.student_progress(conn, student)
        return await views.next_exercise(conn, progress)


@router.get("/{student_id}/report", response_model=StudentReport)
async def student_report(
    student_id: UUID, caller: CallerDep, pool: PoolDep, debrief: AgentDep
) -> StudentReport:
    async with pool.connection() as conn:
        student = await access.student_for_teacher(conn, caller, student_id)
        report = await reports.student_report(conn, student)
    facts = DebriefContext(student_report=report)
    summary = (await agent.run_task(debrief, "student-report", facts)).text
    return report.model_copy(update={"summary": summary})


@router.get("/{student_id}/progress-report", response_model=StudentProgressReport)
async def progress_report(
    student_id: UUID, caller: CallerDep, pool: PoolDep, settings: SettingsDep
) -> StudentProgressReport:
    """The student's own record (the student themself, their teacher or an admin)."""
    async with pool.connection() as conn:
        student = await access.student_visible_to(conn, caller, student_id)
        return await reports.progress_report(
            conn, student, active_gap_s=settings.workflow_active_gap_s
        )
