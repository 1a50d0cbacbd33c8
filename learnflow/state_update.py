"""Read-modify-write of one Dapr state key with optimistic concurrency, in one place.

`update_state` reads the key and its ETag, asks `decide` what to do with the stored value, and
saves the new value with that ETag (first-write concurrency). When another writer got in first
(`Conflict`) it reads again and decides again, up to `attempts` times, then raises `Conflict`
with the caller's message. `decide` may also keep the stored value as it is (an event seen
before, a retried request): nothing is written then.

Dapr's PostgreSQL state store answers a lost *first* write (two writers creating the same key
at once, no ETag to compare) with a 500 rather than a 409; when the key has appeared since our
read, that was the race, and it is retried like a conflict. Any other failure is raised as is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from learnflow.errors import Conflict, DependencyFailed
from learnflow.sidecar import Mesh

T = TypeVar("T")

DEFAULT_ATTEMPTS = 5


@dataclass(frozen=True)
class Save(Generic[T]):
    """Save `value` (JSON-ready) under the key; `update_state` then returns `result`."""

    value: Any
    result: T


@dataclass(frozen=True)
class Keep(Generic[T]):
    """Write nothing; `update_state` returns `result`."""

    result: T


Decide = Callable[[Any | None], Save[T] | Keep[T]]


async def update_state(
    mesh: Mesh,
    key: str,
    decide: Decide[T],
    *,
    contended: str,
    attempts: int = DEFAULT_ATTEMPTS,
    known: tuple[Any | None, str | None] | None = None,
    **details: Any,
) -> T:
    """Apply `decide` to the value stored under `key` (None when absent) and save its answer
    with the ETag it was read with; retried on concurrent writes (see the module docstring).

    `decide` must be a pure function of the stored value (it may run several times) and may
    raise to refuse. `known` is a (value, etag) the caller read already: the first attempt uses
    it instead of reading again. `contended` is the message of the `Conflict` raised when every
    attempt lost to another writer; `details` go with it."""
    for attempt in range(max(1, attempts)):
        if attempt == 0 and known is not None:
            stored, etag = known
        else:
            stored, etag = await mesh.get_state_entry(key)
        decision = decide(stored)
        if isinstance(decision, Keep):
            return decision.result
        try:
            await mesh.save_state(key, decision.value, etag=etag)
        except Conflict:
            continue
        except DependencyFailed:
            if etag is not None:
                raise
            _, now = await mesh.get_state_entry(key)
            if now is None:  # the key is still absent: not a lost race, a real failure
                raise
            continue
        return decision.result
    raise Conflict(contended, **details)
