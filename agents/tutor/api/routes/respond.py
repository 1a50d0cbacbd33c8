"""`POST /respond` and `POST /respond/stream`: answer a message triage routed to the tutor
(exercises, hints, code), whole or as a stream of events (`learnflow.sse`).

The stream is guarded like the whole reply: nothing is sent before the output guardrail has
decided on the whole reply (`TutorService.stream`), so a solution it blocks never reaches the
learner; the learner leaving still cancels the run, which goes on inside the stream.
"""

from __future__ import annotations

from fastapi import APIRouter

from learnflow.api.deps import ModelLabelDep, SettingsDep
from learnflow.api.streaming import STREAM_RESPONSES, EventStream, reply_events
from learnflow.contracts import SpecialistReply

from ...models import TutorRequest
from ...service import APP_ID
from ..deps import TutorDep

router = APIRouter(tags=["agent"])


@router.post("/respond", response_model=SpecialistReply)
async def respond(body: TutorRequest, tutor: TutorDep, model: ModelLabelDep) -> SpecialistReply:
    return await tutor.respond(body, model=model)


@router.post("/respond/stream", response_class=EventStream, responses=STREAM_RESPONSES)
async def respond_stream(
    body: TutorRequest, tutor: TutorDep, model: ModelLabelDep, settings: SettingsDep
) -> EventStream:
    """`delta` events, then `done` with `POST /respond`'s reply, the model and the guardrail's
    verdict. An unknown exercise or the session store being down fail before the stream (their
    own status); a failure while the agent runs is an `error` event."""
    turn = await tutor.prepare(body)
    # the offline tutor's reply is written out like the concepts agent's; a model's comes at once
    pause_s = settings.offline_stream_pause_s if settings.uses_offline_model else 0.0
    parts = tutor.stream(turn, model=model, pause_s=pause_s)
    return EventStream(reply_events(parts, who=APP_ID))
