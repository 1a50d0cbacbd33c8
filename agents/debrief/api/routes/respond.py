"""`POST /respond`: answer a progress question routed by triage."""

from __future__ import annotations

from fastapi import APIRouter

from learnflow.contracts import SpecialistReply, SpecialistRequest

router = APIRouter(tags=["agent"])


@router.post("/respond", response_model=SpecialistReply)
async def respond(body: SpecialistRequest) -> SpecialistReply:
    # Walking skeleton: the learning-core work replaces this with the debrief agent.
    return SpecialistReply(reply=f"(debrief) I received your question: {body.message[:200]}")
