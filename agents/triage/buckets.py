"""Token-bucket arithmetic for the per-learner rate limits: pure, no clock, no storage.

A bucket holds up to `capacity` tokens (the burst) and refills at `per_second`; a request takes
one. The `RateLimitBucket` actor (`bucket_actor`) keeps one bucket per learner and action and
calls `take_token` with the wall clock: a bucket's state outlives the replica that wrote it,
so the time stored must mean the same on every replica (a monotonic clock would not).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MIN_WAIT_S = 0.001  # a refusal always says to wait a little, never 0 (0 means "taken")


@dataclass(frozen=True)
class Bucket:
    tokens: float
    at: float  # when `tokens` was counted (wall-clock seconds)

    def to_state(self) -> dict[str, float]:
        return {"tokens": self.tokens, "at": self.at}

    @classmethod
    def from_state(cls, state: Any) -> Bucket | None:
        """The stored bucket, or None (a new, full one) when the state is not one."""
        if not isinstance(state, dict):
            return None
        try:
            return cls(tokens=float(state["tokens"]), at=float(state["at"]))
        except (KeyError, TypeError, ValueError):
            return None


def available(bucket: Bucket | None, *, now: float, capacity: int, per_second: float) -> float:
    """Tokens in `bucket` at `now`: a missing bucket is full; a clock that went back (another
    replica's, a little behind) refills nothing rather than taking tokens away."""
    if bucket is None:
        return float(capacity)
    elapsed = max(now - bucket.at, 0.0)
    return min(float(capacity), bucket.tokens + elapsed * per_second)


def take_token(
    bucket: Bucket | None, *, now: float, capacity: int, per_second: float
) -> tuple[Bucket | None, float]:
    """Take one token at `now`. Returns (the bucket to keep, 0.0) when one was taken, else (the
    bucket unchanged, the seconds until one is available) — a refusal changes nothing, so
    it need not be stored."""
    have = available(bucket, now=now, capacity=capacity, per_second=per_second)
    if have >= 1:
        return Bucket(tokens=have - 1, at=now), 0.0
    return bucket, max((1 - have) / per_second, MIN_WAIT_S)


def refill_s(*, capacity: int, per_second: float) -> float:
    """Seconds an empty bucket takes to be full again: past that, a stored bucket is the same
    as none (so its state may expire)."""
    return capacity / per_second
