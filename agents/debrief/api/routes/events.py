"""Subscriptions of the debrief app (declared in components/subscriptions.yaml)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from debrief_agent import activity
from learnflow.api.pubsub import add_subscriber
from learnflow.events import Event

router = APIRouter(tags=["events"])


async def _record(event: Event, request: Request) -> None:
    await activity.record(request.app.state.sidecar, event)


add_subscriber(router, "learning.routed", _record)
add_subscriber(router, "learning.response", _record)
