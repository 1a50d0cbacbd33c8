"""Struggle alerts for teachers: the open ones of their classes, and resolving one."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from debrief_agent import access, views
from debrief_agent.api.deps import CallerDep
from debrief_agent.models import AlertView
from learnflow.api.deps import PoolDep
from learnflow.db.models import Role
from learnflow.db.repos.alerts import get_alert, list_open_alerts, resolve_alert
from learnflow.errors import NotFound

router = APIRouter(prefix="/alerts", tags=["alerts"])


@router.get("", response_model=list[AlertView])
async def open_alerts(caller: CallerDep, pool: PoolDep) -> list[AlertView]:
    """Open alerts, newest first: of the teacher's students, or every one for an admin."""
    access.ensure_staff(caller, "The list of struggle alerts")
    teacher = None if caller.role is Role.ADMIN else caller.user_id
    async with pool.connection() as conn:
        alerts = await list_open_alerts(conn, teacher_id=teacher)
        return await views.alert_views(conn, alerts)


@router.post("/{alert_id}/resolve", response_model=AlertView)
async def resolve(alert_id: UUID, caller: CallerDep, pool: PoolDep) -> AlertView:
    """Mark an alert resolved (resolving it again changes nothing)."""
    access.ensure_staff(caller, "Resolving an alert")
    async with pool.connection() as conn:
        alert = await get_alert(conn, alert_id=alert_id)
        if alert is None:
            raise NotFound(f"No struggle alert with id {alert_id}")
        await access.alert_resolvable_by(conn, caller, alert)
        resolved = await resolve_alert(conn, alert_id=alert_id, resolved_by=caller.user_id)
        return (await views.alert_views(conn, [resolved]))[0]
