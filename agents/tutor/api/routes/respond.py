"""`POST /respond`: answer a message triage routed to the tutor (exercises, hints, code)."""

from __future__ import annotations

from fastapi import APIRouter

from learnflow.contracts import SpecialistReply

from ...models import TutorRequest
from ..deps import TutorDep

router = APIRouter(tags=["agent"])


@router.post("/respond", response_model=SpecialistReply)
async def respond(body: TutorRequest, tutor: TutorDep) -> SpecialistReply:
    return await tutor.respond(body)
