"""Receiving events from Dapr pub/sub.

Subscriptions are declarative (components/subscriptions.yaml, with scopes and dead-letter
topics); this module gives each app the HTTP side of them. A subscriber names the event class of
its topic, and its handler gets the parsed, versioned event as that class:

    async def on_activity(event: SessionActivity, request: Request) -> None: ...
    add_subscriber(router, SessionActivity, on_activity)

A handler must be idempotent (dedupe on `event.id`), because delivery is at least once.

Outcomes: the handler returns normally -> SUCCESS; it raises `LearnFlowError` with a 5xx status
or any other exception -> RETRY (Dapr retries per the resiliency policy, then dead-letters);
a payload that breaks its contract is a poison message: it is forwarded at once to the topic's
dead-letter topic with the reason, and acknowledged.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request

from learnflow.errors import InvalidInput, LearnFlowError
from learnflow.events import EVENT_TYPES, E, dead_letter_topic, parse_as
from learnflow.tracecontext import current_trace, parse_traceparent, set_current_trace

log = logging.getLogger("learnflow.pubsub")

EventHandler = Callable[[E, Request], Awaitable[None]]
"""Handles one delivered event of type `E` (a handler of `Event` takes any topic's)."""


def event_route(topic: str) -> str:
    return "/events/" + topic.replace(".", "-")


def add_subscriber(router: APIRouter, event_type: type[E], handler: EventHandler[E]) -> None:
    """Serve the route a declarative Subscription for `event_type.topic` delivers to; the
    handler gets each delivery parsed as `event_type`."""
    topic = event_type.topic
    if EVENT_TYPES.get(topic) is not event_type:
        raise ValueError(f"{event_type.__name__} is not the registered event of {topic!r}")

    async def receive(request: Request) -> dict[str, str]:
        raw = await request.body()
        try:
            envelope: Any = json.loads(raw)
            data = envelope.get("data", envelope) if isinstance(envelope, dict) else envelope
            if isinstance(data, str):
                data = json.loads(data)
            event = parse_as(event_type, data)
        except (ValueError, InvalidInput) as exc:
            await _dead_letter(request, topic, raw, str(exc))
            return {"status": "SUCCESS"}
        _continue_published_trace(envelope)
        try:
            await handler(event, request)
        except LearnFlowError as exc:
            if exc.status_code < 500:
                await _dead_letter(request, topic, raw, exc.message)
                return {"status": "SUCCESS"}
            log.warning("event %s on %s will be retried: %s", event.id, topic, exc.message)
            return {"status": "RETRY"}
        except Exception:
            log.exception("event %s on %s failed; it will be retried", event.id, topic)
            return {"status": "RETRY"}
        return {"status": "SUCCESS"}

    router.add_api_route(
        event_route(topic),
        receive,
        methods=["POST"],
        include_in_schema=False,
        name=f"receive {topic}",
    )


def _continue_published_trace(envelope: Any) -> None:
    """Serve the event under the trace it was published in (the CloudEvent's `traceparent`).
    daprd's delivery header names the same trace, at its own delivery span, which the middleware
    has set already; only a delivery without it (or with another trace) is set here."""
    published = parse_traceparent(
        envelope.get("traceparent") if isinstance(envelope, dict) else None
    )
    current = current_trace()
    if published is not None and (current is None or current.trace_id != published.trace_id):
        set_current_trace(published)


async def _dead_letter(request: Request, topic: str, raw: bytes, reason: str) -> None:
    log.warning("poison message on %s sent to %s: %s", topic, dead_letter_topic(topic), reason)
    sidecar = request.app.state.sidecar
    body = {"topic": topic, "reason": reason, "payload": raw.decode("utf-8", "replace")[:65536]}
    await sidecar.publish_raw(dead_letter_topic(topic), body)
