"""The body of `POST /chat/stream` (`learnflow.sse`): a specialist's streamed reply relayed to
the learner, or a reply that was ready at once sent as a stream.

`relay` passes the specialist's `delta` events on as they come, and on its `done` finishes the
turn as `POST /chat` does (`turns.finish`: remembered, announced) and sends triage's own `done`
— the `ChatReply` `/chat` would answer. Finishing is shielded: once the specialist has answered,
the turn is saved even if the learner leaves in that moment.

When the specialist fails before its first delta (an `error` event, or the stream breaks), the
learner gets the degraded reply `/chat` would give; after it, an `error` event saying the answer
was cut off and not saved (the text so far stays on the learner's screen: it cannot be taken
back, the client shows the error under it). A learner who leaves cancels the relay, which
closes the stream from the specialist: daprd closes its call, and the specialist cancels the
generation.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

import httpx
from pydantic import ValidationError

from learnflow import sse
from learnflow.api.streaming import error_event
from learnflow.contracts import SpecialistReply
from learnflow.errors import DependencyFailed, LearnFlowError, Unavailable
from triage_agent import turns
from triage_agent.degraded import WHAT_IT_DOES, describe
from triage_agent.models import ChatReply

log = logging.getLogger("triage.chat")

Conclude = Callable[[turns.Outcome], Awaitable[ChatReply]]


def _done(reply: ChatReply) -> bytes:
    return sse.encode(sse.DONE, reply.model_dump(mode="json"))


async def whole(reply: ChatReply) -> AsyncGenerator[bytes, None]:
    """A reply that was ready at once (a retried message, a quiz, triage's own, a degraded one):
    its text as one delta, then `done`."""
    yield sse.encode(sse.DELTA, {"text": reply.reply})
    yield _done(reply)


async def _shielded(work: Awaitable[ChatReply]) -> ChatReply:
    """`work` runs to its end even if the learner leaves meanwhile."""
    return await asyncio.shield(asyncio.ensure_future(work))


def _failure(agent: str, data: Any) -> DependencyFailed:
    """The specialist's `error` event as the failure `/chat` would have met (the app it names,
    when that is one the learner knows of, else the specialist)."""
    said = data if isinstance(data, dict) else {}
    dependency = said.get("dependency")
    return DependencyFailed(
        f"{agent} failed while streaming: {said.get('message', 'no message')}",
        dependency=dependency if dependency in WHAT_IT_DOES else agent,
    )


async def relay(
    upstream: httpx.Response, begun: turns.Begun, ask: turns.Ask, conclude: Conclude
) -> AsyncGenerator[bytes, None]:
    """The specialist's stream `upstream`, relayed (see the module docstring); `conclude`
    finishes the turn (`turns.finish`)."""
    agent, deltas, answered = ask.agent, 0, False
    yield sse.comment(f"{agent} is answering")
    try:
        failure: DependencyFailed | None = None
        try:
            async for event in sse.read(upstream.aiter_lines()):
                if event.event == sse.DELTA:
                    deltas += 1
                    yield sse.encode(sse.DELTA, {"text": str(event.data["text"])})
                elif event.event == sse.DONE:
                    answer = SpecialistReply.model_validate(event.data)
                    outcome = turns.answered(begun, ask.decision, answer)
                    reply = await _shielded(conclude(outcome))
                    answered = True
                    yield _done(reply)
                    return
                elif event.event == sse.ERROR:
                    failure = _failure(agent, event.data)
                    break
            else:
                failure = DependencyFailed(f"{agent}'s stream ended early", dependency=agent)
        except (httpx.HTTPError, ValueError, KeyError, TypeError, ValidationError) as exc:
            failure = DependencyFailed(f"{agent}'s stream broke: {exc!r}", dependency=agent)
        log.warning("%s's streamed reply failed after %d deltas: %s", agent, deltas, failure)
        if deltas == 0:  # nothing shown yet: the degraded reply, as /chat gives it
            reply = await conclude(turns.degraded(begun, ask, failure))
            async for chunk in whole(reply):
                yield chunk
            return
        yield error_event(
            Unavailable(
                f"{describe(agent)} stopped before finishing this answer, so it was not saved. "
                "Send your message again.",
                dependency=agent,
                retry_after_s=2,
            )
        )
    except LearnFlowError as exc:  # saving the turn failed
        yield error_event(exc)
    except (asyncio.CancelledError, GeneratorExit):
        if not answered:
            log.info(
                "the learner left after %d deltas; %s's generation is cancelled", deltas, agent
            )
        raise
