"""`Sidecar.publish_bulk` on the real stack: triage's daprd bulk-publishes to Kafka, every
entry lands once with its event id as the CloudEvent id, and an entry daprd refuses (a topic
triage may not publish) fails alone without holding up the others."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from learnflow.events import CodeSubmitted, LearningResponse, LearningRouted
from learnflow.settings import Settings
from learnflow.sidecar import Sidecar
from tests.integration.harness import Mesh
from tests.waiting import eventually_sync

pytestmark = pytest.mark.integration


async def test_bulk_publish_lands_each_event_once_on_kafka(mesh: Mesh) -> None:
    session = f"bulk-{uuid.uuid4()}"
    routed = [
        LearningRouted(
            id=str(uuid.uuid4()),
            session_id=session,
            message_id=f"m{i}",
            intent="concept",
            agent="concepts",
            confidence=0.9,
        )
        for i in range(5)
    ]
    responses = [
        LearningResponse(
            id=str(uuid.uuid4()),
            session_id=session,
            message_id=f"m{i}",
            agent="concepts",
            reply_chars=i,
        )
        for i in range(3)
    ]
    settings = Settings(
        app_id="triage",
        dapr_http_port=mesh.topo.app("triage").dapr_http_port,
        dapr_api_token=mesh.dapr_headers_for("triage")["dapr-api-token"],
    )
    sidecar = Sidecar(settings)
    try:
        result = await sidecar.publish_bulk([*routed, *responses, routed[0]])
    finally:
        await sidecar.aclose()
    assert not result.failed
    assert sorted(result.published) == sorted(e.id for e in [*routed, *responses])

    for topic, sent in (("learning.routed", routed), ("learning.response", responses)):

        def all_there(t: str = topic, n: int = len(sent)) -> list[dict[str, Any]] | None:
            got = mesh.kafka_events(t, {"session_id": session})
            return got if len(got) >= n else None

        found = eventually_sync(
            all_there,
            timeout_s=30,
            what=f"{len(sent)} {topic} events on Kafka",
        )
        assert sorted(e["id"] for e in found) == sorted(e.id for e in sent)  # each once
        assert {e["source"] for e in found} == {"triage"}


async def test_a_refused_entry_fails_alone_and_is_reported(mesh: Mesh) -> None:
    session = f"bulk-{uuid.uuid4()}"
    allowed = LearningResponse(
        id=str(uuid.uuid4()), session_id=session, message_id="m", agent="concepts", reply_chars=1
    )
    forbidden = CodeSubmitted(  # the tutor's topic: triage's sidecar may not publish it
        id=str(uuid.uuid4()), session_id=session, submission_id="s", code_chars=1
    )
    settings = Settings(
        app_id="triage",
        dapr_http_port=mesh.topo.app("triage").dapr_http_port,
        dapr_api_token=mesh.dapr_headers_for("triage")["dapr-api-token"],
    )
    sidecar = Sidecar(settings)
    try:
        result = await sidecar.publish_bulk([allowed, forbidden], backoff_s=0.05)
    finally:
        await sidecar.aclose()
    assert result.published == [allowed.id]
    assert list(result.failed) == [forbidden.id]
    eventually_sync(
        lambda: mesh.kafka_events("learning.response", {"session_id": session}) or None,
        timeout_s=30,
        what="the allowed event on Kafka",
    )
