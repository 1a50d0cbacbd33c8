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

from concepts_agent.agent import AGENT_NAME, ConceptAnswer, answer_of, explain, explain_streamed
from concepts_agent.api.deps import ConceptsAgentDep
from learnflow.api.deps import ModelLabelDep
from learnflow.api.streaming import STREAM_RESPONSES, EventStream, reply_events
from learnflow.contracts import SpecialistReply, SpecialistRequest, StreamedReply
from learnflow.llm.running import StreamedRun

router = APIRouter(tags=["agent"])


@router.post("/respond", response_model=SpecialistReply)
async def respond(
    body: SpecialistRequest, agent: ConceptsAgentDep, model: ModelLabelDep
) -> SpecialistReply:
    return _reply(await explain(agent, body.message, code=body.code), model)


@router.post("/respond/stream", response_class=EventStream, responses=STREAM_RESPONSES)
async def respond_stream(
    body: SpecialistRequest, agent: ConceptsAgentDep, model: ModelLabelDep
) -> EventStream:
    """`delta` events as the answer is written, then `done` with `POST /respond`'s reply (plus
    the agent); a learner who leaves cancels the run."""
    run = explain_streamed(agent, body.message, code=body.code)  # bad input: 422, not a stream
    return EventStream(reply_events(_parts(run, model), who=AGENT_NAME))


def _reply(answer: ConceptAnswer, model: str) -> SpecialistReply:
    return SpecialistReply(
        reply=answer.answer, sources=list(answer.sources), follow_up=answer.follow_up, model=model
    )


async def _parts(run: StreamedRun, model: str) -> AsyncGenerator[str | BaseModel, None]:
    async for text in run.text():
        yield text
    yield StreamedReply(**_reply(answer_of(run.result), model).model_dump(), agent=AGENT_NAME)
