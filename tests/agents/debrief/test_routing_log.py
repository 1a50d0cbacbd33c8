"""The routing log (Dapr state) under concurrent events of a new session id."""

from __future__ import annotations

import httpx
import pytest

from debrief_agent import routing_log
from learnflow.errors import DependencyFailed
from learnflow.events import LearningResponse, LearningRouted
from tests.agents.triage.fakes import FakeDapr


class StaleFirstRead(FakeDapr):
    """The first read misses a write that lands at the same moment (two events at once)."""

    stale_reads = 1

    def _state(self, method: str, rest: str | None, body: bytes) -> httpx.Response:
        if rest == "bulk" and self.stale_reads:  # a read (Sidecar reads with the bulk API)
            self.stale_reads -= 1
            self.state["activity:s-1"] = (
                {"session_id": "s-1", "entries": [self._entry()]},
                1,
            )
            return httpx.Response(200, json=[{"key": "activity:s-1"}])  # not found (yet)
        return super()._state(method, rest, body)

    @staticmethod
    def _entry() -> dict[str, object]:
        return {
            "event_id": "other",
            "topic": "learning.response",
            "message_id": "m-1",
            "agent": "concepts",
            "at": "2026-01-01T00:00:00+00:00",
        }


async def test_a_lost_first_write_answered_with_a_500_is_retried() -> None:
    dapr = StaleFirstRead(lost_first_write_status=500)  # as Dapr's PostgreSQL store answers
    sidecar = dapr.sidecar()
    event = LearningRouted(
        session_id="s-1",
        message_id="m-1",
        intent="concept_question",
        agent="concepts",
        confidence=0.9,
    )

    assert await routing_log.record(sidecar, event) is True

    stored, _ = await routing_log.load(sidecar, "s-1")
    assert [e.topic for e in stored.entries] == ["learning.response", "learning.routed"]
    await sidecar.aclose()


class BrokenStore(FakeDapr):
    def _state(self, method: str, rest: str | None, body: bytes) -> httpx.Response:
        if method == "POST":
            return httpx.Response(500, json={"message": "database is down"})
        return super()._state(method, rest, body)


async def test_a_failing_state_store_is_still_an_error() -> None:
    sidecar = BrokenStore().sidecar()
    event = LearningResponse(session_id="s-2", message_id="m", agent="tutor", reply_chars=3)
    with pytest.raises(DependencyFailed, match="Session storage is unavailable") as raised:
        await routing_log.record(sidecar, event)
    assert raised.value.status_code == 503  # a retry may work: Dapr redelivers the event
    await sidecar.aclose()
