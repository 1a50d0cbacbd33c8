"""The dead-letter watcher's deliveries (`/events/<topic>-dlq`) and what it recorded, for admins.

Each `<topic>.dlq` Subscription (components/subscriptions.yaml) delivers here; `watch` records
the letter once. A route is served for the dead-letter topic of every known topic, so a new
subscription needs only its watcher Subscription (tests/learnflow/mesh/test_policy.py checks
each dead-letter topic has one).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from debrief_agent import access
from debrief_agent.api.deps import CallerDep
from debrief_agent.dead_letters import watch
from learnflow.api.deps import PoolDep
from learnflow.api.pubsub import event_route
from learnflow.db.models import DeadLetterRecord
from learnflow.db.repos.dead_letters import dead_letter_counts, recent_dead_letters
from learnflow.events import TOPICS, dead_letter_topic

router = APIRouter(tags=["dead letters"])

WATCHED_TOPICS = tuple(dead_letter_topic(t) for t in TOPICS)


def _receiver(topic: str) -> Callable[[Request], Awaitable[dict[str, str]]]:
    async def receive(request: Request) -> dict[str, str]:
        return {"status": await watch(request.app.state.pool, topic, await request.body())}

    return receive


for _topic in WATCHED_TOPICS:
    router.add_api_route(
        event_route(_topic),
        _receiver(_topic),
        methods=["POST"],
        include_in_schema=False,
        name=f"watch {_topic}",
    )


class DeadLettersView(BaseModel):
    total: int
    counts: dict[str, int]  # dead-letter topic -> events recorded there (only non-zero ones)
    recent: list[DeadLetterRecord]  # newest first


@router.get("/ops/dead-letters", response_model=DeadLettersView)
async def dead_letters(
    caller: CallerDep, pool: PoolDep, limit: int = Query(default=50, ge=0, le=500)
) -> DeadLettersView:
    """Dead-lettered events the watcher recorded: the count per topic and the latest ones."""
    access.ensure_admin(caller, "The dead-letter record")
    async with pool.connection() as conn:
        counts = await dead_letter_counts(conn)
        recent = await recent_dead_letters(conn, limit=limit)
    return DeadLettersView(total=sum(counts.values()), counts=counts, recent=recent)
