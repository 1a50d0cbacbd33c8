"""`RateLimitBucket`: the Dapr actor that keeps one learner's token bucket for one action.

Actor id `<action>:<user id>` (`bucket_id`). daprd runs one call per actor id at a time, on
whichever triage replica placement gives it (turn-based concurrency), so two requests of one
learner — on any replicas — never both take the last token, with no lock of our own. The bucket
lives in the actor state store (PostgreSQL, `components/statestore.yaml`) and, while the actor
is active, in its memory: a check is one state write, or none when refused.

The caller sends the policy (burst, refill rate) with each call: it is triage's settings
(`LEARNFLOW_LIMIT_*`), the same on every replica, and a changed setting applies at once.
"""

from __future__ import annotations

import math
import time
from typing import Any

from dapr.actor import Actor, ActorInterface, actormethod
from fastapi import FastAPI

from learnflow.api.actors import actor_host
from learnflow.sidecar import Sidecar
from triage_agent.buckets import Bucket, refill_s, take_token

ACTOR_TYPE = "RateLimitBucket"  # the SDK names an actor type after its class
STATE = "bucket"
# a bucket left alone until it is full again is the same as none: its state expires then
EXPIRY_MARGIN_S = 60


def bucket_id(action: str, user_id: object) -> str:
    return f"{action}:{user_id}"


class RateLimitBucketApi(ActorInterface):
    @actormethod(name="take")  # type: ignore[untyped-decorator]
    async def take(self, policy: dict[str, Any]) -> dict[str, float]:
        """Take one token; answers {"wait_s": 0} when taken, else the seconds to wait."""
        raise NotImplementedError


class RateLimitBucket(Actor, RateLimitBucketApi):
    async def take(self, policy: dict[str, Any]) -> dict[str, float]:
        capacity = int(policy["capacity"])
        per_second = float(policy["per_second"])
        found, stored = await self._state_manager.try_get_state(STATE)
        bucket = Bucket.from_state(stored) if found else None
        after, wait = take_token(bucket, now=time.time(), capacity=capacity, per_second=per_second)
        if after is not None and after != bucket:
            expires = math.ceil(refill_s(capacity=capacity, per_second=per_second))
            await self._state_manager.set_state_ttl(
                STATE, after.to_state(), ttl_in_seconds=expires + EXPIRY_MARGIN_S
            )
        return {"wait_s": wait}


async def take(sidecar: Sidecar, *, key: str, capacity: int, per_second: float) -> float:
    """Spend one token of bucket `key` through the actor: 0 when taken, else the seconds until
    one is available."""
    answer = await sidecar.invoke_actor(
        ACTOR_TYPE, key, "take", json_body={"capacity": capacity, "per_second": per_second}
    )
    return float(answer["wait_s"])


async def host_buckets(app: FastAPI) -> None:
    """Start-up hook: host `RateLimitBucket` in this app (its routes are mounted by
    `learnflow.api.actors.mount_actor_routes`) and turn the rate limits on."""
    await actor_host(RateLimitBucket)(app)
    app.state.rate_limits = True
