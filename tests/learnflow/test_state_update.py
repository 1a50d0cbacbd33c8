"""`learnflow.state_update.update_state` on the in-memory `FakeSidecar` (no daprd): it saves with
the ETag it read, decides again on the fresh value after a conflict, writes nothing on `Keep`,
gives up with the caller's `Conflict`, and retries PostgreSQL's 500 for a lost first write."""

from __future__ import annotations

from typing import Any

import pytest

from learnflow.errors import Conflict, DependencyFailed
from learnflow.state_update import Keep, Save, update_state
from learnflow.testing import FakeSidecar


def append(item: str) -> Any:
    def decide(stored: Any | None) -> Save[list[str]] | Keep[list[str]]:
        items = list(stored or [])
        if item in items:
            return Keep(items)
        return Save([*items, item], [*items, item])

    return decide


async def test_a_conflict_is_decided_again_on_the_fresh_value() -> None:
    mesh = FakeSidecar()
    await mesh.save_state("k", ["a"])
    seen: list[Any] = []

    def decide(stored: Any | None) -> Save[list[str]]:
        seen.append(stored)
        return Save([*stored, "b"], [*stored, "b"])

    mesh.conflicts_to_inject = 2  # two other writers get in first
    result = await update_state(mesh, "k", decide, contended="busy")

    assert result == ["a", "b"] and len(seen) == 3
    assert mesh.state["k"][0] == ["a", "b"]


async def test_keep_writes_nothing_and_a_stale_known_value_is_read_again() -> None:
    mesh = FakeSidecar()
    assert await update_state(mesh, "k", append("a"), contended="busy") == ["a"]
    saves = len(mesh.saves)
    assert await update_state(mesh, "k", append("a"), contended="busy") == ["a"]
    assert len(mesh.saves) == saves  # a repeat: nothing written

    await mesh.save_state("k", ["a", "x"], etag=mesh.state["k"][1])  # someone else wrote
    stale = (["a"], "stale-etag")
    result = await update_state(mesh, "k", append("b"), contended="busy", known=stale)
    assert result == ["a", "x", "b"]  # the stale copy lost; the fresh value was used


async def test_it_gives_up_with_the_callers_conflict() -> None:
    mesh = FakeSidecar(conflicts_to_inject=10)
    with pytest.raises(Conflict, match="session s is contended") as raised:
        await update_state(
            mesh, "k", append("a"), contended="session s is contended", attempts=3, session_id="s"
        )
    assert raised.value.details == {"session_id": "s"}
    assert mesh.conflicts_to_inject == 7


class LostFirstWrite(FakeSidecar):
    """Like Dapr's PostgreSQL store: a first write that loses the race is a 500, not a 409."""

    async def save_state(
        self, key: str, value: Any, *, etag: str | None = None, first_write: bool = True
    ) -> None:
        if etag is None and key not in self.state and self.rival is not None:
            await super().save_state(key, self.rival)  # the other writer gets in first
            self.rival = None
            raise DependencyFailed("save state failed with HTTP 500", dependency="statestore")
        await super().save_state(key, value, etag=etag, first_write=first_write)

    rival: Any = None


async def test_a_lost_first_write_is_retried_and_a_real_failure_is_not() -> None:
    mesh = LostFirstWrite()
    mesh.rival = ["r"]
    assert await update_state(mesh, "k", append("a"), contended="busy") == ["r", "a"]

    class Down(FakeSidecar):
        async def save_state(self, key: str, value: Any, **_: Any) -> None:
            raise DependencyFailed("save state failed with HTTP 500", dependency="statestore")

    with pytest.raises(DependencyFailed):
        await update_state(Down(), "k", append("a"), contended="busy")
