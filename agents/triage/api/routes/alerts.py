"""Struggle alerts for teachers: the open ones of their classes, and resolving one."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter

from learnflow.api.deps import SidecarDep
from triage_agent.api.deps import Staff
from triage_agent.debrief_client import ask_debrief

router = APIRouter(prefix="/alerts", tags=["alerts"])


@router.get("")
async def open_alerts(user: Staff, sidecar: SidecarDep) -> Any:
    """Open alerts of the teacher's students, newest first."""
    return await ask_debrief(sidecar, user, "alerts")


@router.post("/{alert_id}/resolve")
async def resolve_alert(alert_id: UUID, user: Staff, sidecar: SidecarDep) -> Any:
    """Mark the alert resolved (again: no change)."""
    return await ask_debrief(sidecar, user, f"alerts/{alert_id}/resolve", http_method="POST")
