"""Publishing a dead-lettered event back to its topic.

Who publishes: an app that produces the topic (`learnflow.mesh.policy.PRODUCES`), through its own
sidecar's publish API with that app's Dapr token — preferably the app that published it first
(the CloudEvent's `source`). So the broker's ACLs stay as they are: `ops` keeps reading only, and
no user gains a write it does not already have. The CloudEvent goes out with its own id
(`application/cloudevents+json`), so consumers, which dedupe on the event id, apply it at most
once however often it is replayed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import httpx

from learnflow.dlq.messages import DeadLetter, partition_key, replay_envelope
from learnflow.dlq.stack import START_FIRST, StackTarget
from learnflow.errors import DependencyFailed, InvalidInput, Unavailable
from learnflow.mesh import policy

TIMEOUT_S = 15.0


def publisher_for(topic: str, source: str | None) -> str:
    """The app whose sidecar republishes to `topic`: the event's source if it produces the
    topic, else the first producer by name."""
    producers = sorted(app for app, topics in policy.PRODUCES.items() if topic in topics)
    if not producers:
        raise InvalidInput(
            f"no app publishes {topic!r} (learnflow/mesh/policy.py PRODUCES), so nothing may "
            "replay to it"
        )
    return source if source in producers else producers[0]


@dataclass(frozen=True)
class Replay:
    """One event to publish again, and as whom."""

    topic: str
    app_id: str
    letter: DeadLetter

    @property
    def event_id(self) -> str:
        return self.letter.event_id or ""


def plan(topic: str, letters: list[DeadLetter]) -> list[Replay]:
    return [Replay(topic, publisher_for(topic, letter.source), letter) for letter in letters]


def publish(target: StackTarget, replay: Replay, client: httpx.Client | None = None) -> None:
    """POST the original CloudEvent to `replay.app_id`'s sidecar; raises with one clear line."""
    original = replay.letter.original
    if original is None:
        raise InvalidInput(f"event {replay.event_id} cannot be replayed: {replay.letter.problem}")
    base = target.sidecar_url(replay.app_id)
    params = {}
    key = partition_key(original)
    if key:
        params["metadata.partitionKey"] = key
    http = client or httpx.Client(timeout=TIMEOUT_S)
    try:
        response = http.post(
            f"{base}/v1.0/publish/{target.settings.pubsub_name}/{replay.topic}",
            content=json.dumps(replay_envelope(original)),
            params=params,
            headers={
                "content-type": "application/cloudevents+json",
                "dapr-api-token": target.dapr_token(replay.app_id),
            },
        )
    except httpx.TransportError as exc:
        raise Unavailable(
            f"{replay.app_id}'s sidecar at {base} is not answering ({exc.__class__.__name__}): "
            f"is the stack running? {START_FIRST}",
            "sidecar",
        ) from exc
    finally:
        if client is None:
            http.close()
    if response.status_code >= 300:
        raise DependencyFailed(
            f"{replay.app_id}'s sidecar refused to publish event {replay.event_id} to "
            f"{replay.topic}: HTTP {response.status_code} {response.text[:300]}",
            "sidecar",
        )
