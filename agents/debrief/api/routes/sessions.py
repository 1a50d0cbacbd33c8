"""`GET /sessions/{session_id}/activity`: the session's activity as recorded from events."""

from __future__ import annotations

from fastapi import APIRouter

from debrief_agent import activity
from learnflow.api.deps import SidecarDep

router = APIRouter(prefix="/sessions", tags=["sessions"])


@router.get("/{session_id}/activity", response_model=activity.Activity)
async def session_activity(session_id: str, sidecar: SidecarDep) -> activity.Activity:
    found, _ = await activity.load(sidecar, session_id)
    return found
