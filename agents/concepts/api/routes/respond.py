"""`POST /respond`: answer a concept question routed by triage (Dapr service invocation)."""

from __future__ import annotations

from fastapi import APIRouter

from concepts_agent.agent import explain
from concepts_agent.api.deps import ConceptsAgentDep
from learnflow.contracts import SpecialistReply, SpecialistRequest

router = APIRouter(tags=["agent"])


@router.post("/respond", response_model=SpecialistReply)
async def respond(body: SpecialistRequest, agent: ConceptsAgentDep) -> SpecialistReply:
    answer = await explain(agent, body.message, code=body.code)
    return SpecialistReply(
        reply=answer.answer, sources=list(answer.sources), follow_up=answer.follow_up
    )
