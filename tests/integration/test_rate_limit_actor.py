"""The per-learner rate limits on the real stack, kept by the `RateLimitBucket` actor that triage
hosts (issue 15.2): its state in the Dapr PostgreSQL store, expiring; one bucket whichever
sidecar the check comes through (a second triage replica's daprd reaches it the same way: over
placement and daprd-to-daprd mTLS); daprd's one call per actor at a time instead of a row lock.
(tests/security/test_abuse_limits.py checks the 429s learners see.)"""

from __future__ import annotations

import math
import uuid
from typing import Any

import anyio
import httpx
import pytest

from learnflow.settings import Settings
from tests.integration.harness import Mesh
from tests.security.helpers import person, post
from triage_agent.bucket_actor import ACTOR_TYPE, EXPIRY_MARGIN_S, STATE

pytestmark = pytest.mark.integration


async def take(
    http: httpx.AsyncClient, mesh: Mesh, via: str, actor_id: str, policy: dict[str, Any]
) -> float:
    """One check of bucket `actor_id` through app `via`'s sidecar (its own token)."""
    answer = await http.put(
        f"{mesh.sidecar_url(via)}/v1.0/actors/{ACTOR_TYPE}/{actor_id}/method/take",
        json=policy,
        headers=mesh.dapr_headers_for(via),
    )
    assert answer.status_code == 200, answer.text
    return float(answer.json()["wait_s"])


async def test_a_learners_chat_bucket_is_one_actor_whichever_sidecar_reaches_it(
    mesh: Mesh, http: httpx.AsyncClient
) -> None:
    settings = Settings()
    burst, per_second = settings.limit_chat_burst, settings.limit_chat_per_minute / 60
    policy = {"capacity": burst, "per_second": per_second}
    learner = person(mesh)
    first = await post(http, mesh, "chat", learner, {"message": "What is a list?"})
    assert first.status_code == 200, first.text

    # the check is the actor's: its bucket is in the Dapr state store, set to expire
    key = f"triage||{ACTOR_TYPE}||chat:{learner.id}||{STATE}"
    ((expires_in,),) = mesh.sql(
        "select extract(epoch from expires_at - now()) from dapr_state where key = %s", key
    )
    assert 0 < float(expires_in) <= math.ceil(burst / per_second) + EXPIRY_MARGIN_S

    # the rest of the burst spent through another app's sidecar...
    spent = 0
    while await take(http, mesh, "tutor", f"chat:{learner.id}", policy) == 0:
        spent += 1
        assert spent <= burst + 5, "the bucket never ran out"
    assert spent >= burst - 2  # (a token or so refills while the checks run)
    # ...is gone for triage too
    refused = await post(http, mesh, "chat", learner, {"message": "And a tuple?"})
    assert refused.status_code == 429, refused.text
    assert int(refused.headers["retry-after"]) >= 1


async def test_checks_at_once_from_many_connections_take_exactly_the_burst(
    mesh: Mesh,
) -> None:
    """Turn-based concurrency: 30 checks at once, each on its own connection to triage's
    daprd, on a bucket of 10 that does not refill: 10 taken, never more."""
    actor_id = f"test:{uuid.uuid4()}"
    policy = {"capacity": 10, "per_second": 1e-6}
    waits: list[float] = []

    async def check() -> None:
        async with httpx.AsyncClient(timeout=60) as own_connection:
            waits.append(await take(own_connection, mesh, "triage", actor_id, policy))

    async with anyio.create_task_group() as group:
        for _ in range(30):
            group.start_soon(check)

    assert sum(1 for w in waits if w == 0) == 10, waits
