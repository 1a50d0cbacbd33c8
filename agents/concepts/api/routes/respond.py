"""`POST /respond` and `POST /respond/stream`: answer a concept question routed by triage (Dapr
service invocation), whole or as it is written (`learnflow.sse`).

The concepts agent has no output guardrail (it explains lessons; the tutor's guardrail is about
exercise solutions), so its text streams as the model writes it: what reaches the learner is
what `POST /respond` would answer, only sooner.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

from fastapi import APIRouter
from pydantic import BaseModel

from concepts_agent.agent import AGENT_NAME, answer_of, explain, explain_streamed
from concepts_agent.api.deps import ConceptsAgentDep
from learnflow.api.deps import SettingsDep
from learnflow.api.streaming import STREAM_RESPONSES, EventStream, reply_events
from learnflow.contracts import SpecialistReply, SpecialistRequest, StreamedReply
from learnflow.llm.provider import model_label
from learnflow.llm.running import StreamedRun

router = APIRouter(tags=["agent"])


@router.post("/respond", response_model=SpecialistReply)
async def respond(body: SpecialistRequest, agent: ConceptsAgentDep) -> SpecialistReply:
    answer = await explain(agent, body.message, code=body.code)
    return SpecialistReply(
        reply=answer.answer, sources=list(answer.sources), follow_up=answer.follow_up
    )


@router.post("/respond/stream", response_class=EventStream, responses=STREAM_RESPONSES)
async def respond_stream(
    body: SpecialistRequest, agent: ConceptsAgentDep, settings: SettingsDep
) -> EventStream:
    """`delta` events as the answer is written, then `done` with `POST /respond`'s reply (plus
    the agent and the model); a learner who leaves cancels the run."""
    run = explain_streamed(agent, body.message, code=body.code)  # bad input: 422, not a stream
    return EventStream(reply_events(_parts(run, model_label(settings)), who=AGENT_NAME))


async def _parts(run: StreamedRun, model: str) -> AsyncGenerator[str | BaseModel, None]:
    async for text in run.text():
        yield text
    answer = answer_of(run.result)
    yield StreamedReply(
        reply=answer.answer,
        sources=list(answer.sources),
        follow_up=answer.follow_up,
        agent=AGENT_NAME,
        model=model,
    )
