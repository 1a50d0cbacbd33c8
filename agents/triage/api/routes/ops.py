"""Operations views for admins: the dead letters debrief's watcher recorded."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from learnflow.api.deps import SidecarDep
from triage_agent.api.deps import Admin
from triage_agent.debrief_client import ask_debrief

router = APIRouter(prefix="/ops", tags=["ops"])


@router.get("/dead-letters")
async def dead_letters(
    user: Admin, sidecar: SidecarDep, limit: int = Query(default=50, ge=0, le=500)
) -> Any:
    """Dead-lettered events: the count per `<topic>.dlq` and the latest ones (no payloads)."""
    return await ask_debrief(sidecar, user, f"ops/dead-letters?limit={limit}")
