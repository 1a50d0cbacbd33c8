"""`POST /chat` and `POST /chat/stream`: the learner's entry point. Classify, route to a
specialist, remember, announce (the steps are `triage_agent.turns`, shared by both routes).

Callers must be logged in (any role): the user id sent to specialists and put in events is the
verified principal's, and a session id belongs to the user who started it. Both routes spend the
same chat quota.

When the specialist is unavailable (or an app it needs), the learner gets a clear answer that
names what is unavailable (`degraded`), not an error; such a turn is not remembered, so
resending the message later gets the full answer.

`/chat/stream` answers the same turn as server-sent events (`learnflow.sse`, relayed by
`triage_agent.relay`): `delta` events as the specialist writes, then `done` with the reply
`/chat` would give. What fails before the stream starts (login, quota, validation, someone
else's session, our sidecar away) keeps its JSON error and status; a failure after it is an
`error` event. A learner who leaves cancels the specialist's generation.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from functools import partial
from typing import Any

from fastapi import APIRouter

from learnflow.api.deps import EventsDep, OptionalPoolDep, SettingsDep, SidecarDep
from learnflow.api.streaming import STREAM_RESPONSES, EventStream
from learnflow.contracts import SpecialistReply
from learnflow.errors import DependencyFailed
from triage_agent import turns
from triage_agent.limits import ChatUser
from triage_agent.models import ChatReply, ChatRequest
from triage_agent.relay import relay, whole

router = APIRouter(tags=["chat"])
TOO_MANY: dict[int | str, dict[str, Any]] = {
    429: {"description": "Too many messages: wait Retry-After seconds"}
}


@router.post("/chat", response_model=ChatReply, responses=TOO_MANY)
async def chat(
    body: ChatRequest,
    sidecar: SidecarDep,
    events: EventsDep,
    user: ChatUser,
    pool: OptionalPoolDep,
    settings: SettingsDep,
) -> ChatReply:
    begun = await turns.begin(sidecar, events, body, user, settings)
    if isinstance(begun, ChatReply):  # a retried message id: answered again from memory
        return begun
    step = await turns.route(sidecar, begun)
    outcome: turns.Outcome
    if isinstance(step, turns.Ask):
        try:
            raw = await sidecar.invoke(step.agent, "respond", json_body=step.request.model_dump())
        except DependencyFailed as exc:
            outcome = turns.degraded(begun, step, exc)
        else:
            outcome = turns.answered(begun, step.decision, SpecialistReply.model_validate(raw))
    else:
        outcome = step
    return await turns.finish(sidecar, events, pool, begun, outcome)


@router.post("/chat/stream", response_class=EventStream, responses={**STREAM_RESPONSES, **TOO_MANY})
async def chat_stream(
    body: ChatRequest,
    sidecar: SidecarDep,
    events: EventsDep,
    user: ChatUser,
    pool: OptionalPoolDep,
    settings: SettingsDep,
) -> EventStream:
    begun = await turns.begin(sidecar, events, body, user, settings)
    if isinstance(begun, ChatReply):
        return EventStream(whole(begun))
    step = await turns.route(sidecar, begun)
    if isinstance(step, turns.Ask):
        upstream = AsyncExitStack()  # open until the relay ends (closing it cancels the agent)
        try:
            answer = await upstream.enter_async_context(
                sidecar.invoke_stream(
                    step.agent, "respond/stream", json_body=step.request.model_dump()
                )
            )
        except DependencyFailed as exc:
            step = turns.degraded(begun, step, exc)
        else:
            conclude = partial(turns.finish, sidecar, events, pool, begun)
            return EventStream(relay(answer, begun, step, conclude), on_close=upstream.aclose)
    return EventStream(whole(await turns.finish(sidecar, events, pool, begun, step)))
