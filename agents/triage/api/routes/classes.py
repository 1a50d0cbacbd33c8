"""Classes: the caller's list, and a class's overview and report (its teacher only)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter

from learnflow.api.deps import SidecarDep
from learnflow.auth.deps import CurrentUser
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
