"""`GET /sessions/{session_id}/activity`: the session id's routing log, as recorded from events
(the route keeps its first name: callers use it)."""

from __future__ import annotations

from fastapi import APIRouter

from debrief_agent import routing_log
from learnflow.api.deps import SidecarDep

router = APIRouter(prefix="/sessions", tags=["sessions"])


@router.get("/{session_id}/activity", response_model=routing_log.RoutingLog)
async def read_routing_log(session_id: str, sidecar: SidecarDep) -> routing_log.RoutingLog:
    found, _ = await routing_log.load(sidecar, session_id)
    return found
