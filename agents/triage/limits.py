"""Per-learner abuse limits on the expensive routes (chat, run, submit) and on class joins.

- A token bucket per learner and action (`LEARNFLOW_LIMIT_<ACTION>_BURST` at once, refilled at
  `..._PER_MINUTE`): past it, 429 with Retry-After saying when the next one is allowed.
- At most `LEARNFLOW_LIMIT_CODE_IN_FLIGHT` runs + submissions of one learner in the sandbox at
  once: one learner's 40 concurrent `sleep(30)` runs take two of the code-runner's workers, not
  all of them, and never fill its queue for everyone else.

Both hold across triage replicas. Each bucket is a Dapr actor (`bucket_actor.RateLimitBucket`,
hosted by triage, reached through its sidecar): daprd's one-call-at-a-time per actor stands in
for a row lock. The in-flight slots are leases in PostgreSQL (`learnflow.db.repos.limits`),
released when the request ends. Triage without its daprd's actors (the unit tests' triage on
fakes: `create_app(actors=False)`) has no buckets, and without a database no slots.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request

from learnflow.auth.deps import CurrentUser
from learnflow.auth.tokens import Principal
from learnflow.db.pool import Pool
from learnflow.db.repos import limits
from learnflow.errors import RateLimited
from learnflow.settings import Settings
from triage_agent import bucket_actor

# a slot outlives the longest request it can guard (the mesh's invoke timeout is 60 s)
LEASE_TTL_S = 120.0
WHAT = {
    "chat": "messages",
    "run": "code runs",
    "submit": "submissions",
    "join": "class joins",
    "answer": "exam answers",
}


def _pool(request: Request) -> Pool | None:
    return getattr(request.app.state, "pool", None)


def _policy(settings: Settings, action: str) -> tuple[int, float]:
    burst: int = getattr(settings, f"limit_{action}_burst")
    per_minute: float = getattr(settings, f"limit_{action}_per_minute")
    return burst, per_minute


def quota(action: str) -> object:
    """A dependency that spends one of the caller's `action` tokens (429 when none is left)."""
    if action not in WHAT:
        raise ValueError(f"no quota for {action!r}")

    async def spend(user: CurrentUser, request: Request) -> Principal:
        if not getattr(request.app.state, "rate_limits", False):
            return user
        burst, per_minute = _policy(request.app.state.settings, action)
        wait = await bucket_actor.take(
            request.app.state.sidecar,
            key=bucket_actor.bucket_id(action, user.user_id),
            capacity=burst,
            per_second=per_minute / 60,
        )
        if wait > 0:
            seconds = math.ceil(wait)
            raise RateLimited(
                f"You are sending {WHAT[action]} faster than {per_minute:g} a minute: wait "
                f"{seconds} s and try again",
                retry_after_s=seconds,
                limit_per_minute=per_minute,
            )
        return user

    return Depends(spend)


async def _code_slot(user: CurrentUser, request: Request) -> AsyncIterator[None]:
    pool = _pool(request)
    if pool is None:
        yield
        return
    settings: Settings = request.app.state.settings
    slots = settings.limit_code_in_flight
    async with pool.connection() as conn:
        lease = await limits.acquire_lease(
            conn, user_id=user.user_id, kind="code", slots=slots, ttl_s=LEASE_TTL_S
        )
        wait = (
            0.0
            if lease is not None
            else await limits.lease_wait_s(conn, user_id=user.user_id, kind="code")
        )
    if lease is None:
        raise RateLimited(
            f"You already have {slots} runs or submissions in the sandbox: wait for one to "
            "finish, then try again",
            retry_after_s=min(math.ceil(wait), 5),
            in_flight_limit=slots,
        )
    try:
        yield
    finally:
        async with pool.connection() as conn:
            await limits.release_lease(conn, lease_id=lease)


ChatUser = Annotated[Principal, quota("chat")]
RunUser = Annotated[Principal, quota("run")]
SubmitUser = Annotated[Principal, quota("submit")]
JoinQuota = Annotated[Principal, quota("join")]
AnswerQuota = Annotated[Principal, quota("answer")]
CodeSlot = Annotated[None, Depends(_code_slot)]
