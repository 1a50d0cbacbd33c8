"""A scripted fake of daprd's HTTP API, for unit tests of the apps (not a test module).

The apps under test keep their real `learnflow.sidecar.Sidecar`; only its HTTP client goes to
`FakeDapr` instead of a daprd. `FakeDapr` serves:

- service invocation: a scripted answer for (app id, method), else the app registered under that
  id (an in-process ASGI app, so triage -> "sidecar" -> debrief runs both apps for real), else
  the 500 daprd gives for an unknown app;
- pub/sub: every publish is recorded (contract events parsed); `fail_publishes` makes the next
  n publishes fail with a 500;
- state: an in-memory store with ETags and first-write concurrency, like the Dapr state API;
- actors: a call goes to the app registered as the actor type's host (`actor_hosts`), at its
  `/actors/...` route, one call per actor id at a time (daprd's turn-based concurrency); the
  actors' own state in memory (`actor_state`, with the `ttlInSeconds` each save asked for).

It also stands in for an app's outbox (`queue`, `learnflow.outbox.EventSink`) where a test runs
an app without its database: queued events count as published at once.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from learnflow.events import Event, parse_event, to_wire
from learnflow.settings import Settings
from learnflow.sidecar import Sidecar

_INVOKE = re.compile(r"^/v1\.0/invoke/(?P<app>[^/]+)/method/(?P<method>.*)$")
_PUBLISH = re.compile(r"^/v1\.0/publish/(?P<pubsub>[^/]+)/(?P<topic>.+)$")
_BULK_PUBLISH = re.compile(r"^/v1\.0-alpha1/publish/bulk/(?P<pubsub>[^/]+)/(?P<topic>.+)$")
_STATE = re.compile(r"^/v1\.0/state/(?P<store>[^/]+)(?:/(?P<rest>.+))?$")
_ACTOR = re.compile(r"^/v1\.0/actors/(?P<type>[^/]+)/(?P<id>[^/]+)/(?P<rest>.+)$")


@dataclass(frozen=True)
class Invocation:
    app_id: str
    method: str
    http_method: str
    headers: dict[str, str]
    body: Any


Answer = Callable[[Invocation], httpx.Response] | httpx.Response


@dataclass
class FakeDapr(httpx.AsyncBaseTransport):
    apps: dict[str, Any] = field(default_factory=dict)  # app id -> ASGI app
    answers: dict[tuple[str, str], Answer] = field(default_factory=dict)
    invocations: list[Invocation] = field(default_factory=list)
    published: list[tuple[str, Any]] = field(default_factory=list)  # (topic, data)
    state: dict[str, tuple[Any, int]] = field(default_factory=dict)
    fail_publishes: int = 0
    # what a lost first write (no etag, key exists) gets: Dapr's PostgreSQL store answers 500
    lost_first_write_status: int = 409
    caller_app_id: str = "triage"  # the app whose sidecar this is (daprd's dapr-caller-app-id)
    actor_hosts: dict[str, Any] = field(default_factory=dict)  # actor type -> ASGI app
    # (actor type, actor id, state name) -> (JSON value, ttlInSeconds or None)
    actor_state: dict[tuple[str, str, str], tuple[Any, int | None]] = field(default_factory=dict)
    actor_calls: int = 0
    _actor_turns: dict[tuple[str, str], asyncio.Lock] = field(default_factory=dict)

    # --- what the tests look at --------------------------------------------------------------
    def events(self, topic: str | None = None) -> list[Event]:
        """Published contract events (dead letters and other raw bodies left out)."""
        found: list[Event] = []
        for published_topic, data in self.published:
            if topic is not None and published_topic != topic:
                continue
            if isinstance(data, dict) and data.get("type") == published_topic:
                found.append(parse_event(published_topic, data))
        return found

    def answer(self, app_id: str, method: str, body: Any, status: int = 200) -> None:
        self.answers[(app_id, method)] = httpx.Response(status, json=body)

    async def queue(self, *events: Event, partition_key: str | None = None) -> None:
        self.published.extend((event.topic, to_wire(event)) for event in events)

    def sidecar(
        self, settings: Settings | None = None, *, timeout_s: float | None = None
    ) -> Sidecar:
        """A real `Sidecar` whose daprd is this fake (`timeout_s`: its invoke timeout)."""
        client = httpx.AsyncClient(transport=self, base_url="http://daprd.test")
        return Sidecar(settings or Settings(), client=client, timeout_s=timeout_s)

    # --- the Dapr HTTP API -------------------------------------------------------------------
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        body = await request.aread()
        if found := _INVOKE.match(path):
            return await self._invoke(request, found["app"], found["method"], body)
        if found := _PUBLISH.match(path):
            return self._publish(found["topic"], body)
        if found := _BULK_PUBLISH.match(path):
            return self._publish_bulk(found["topic"], body)
        if found := _STATE.match(path):
            return self._state(request.method, found["rest"], body)
        if found := _ACTOR.match(path):
            return await self._actor(
                request.method, found["type"], found["id"], found["rest"], body
            )
        return httpx.Response(404, json={"errorCode": "ERR_NOT_FOUND", "message": path})

    async def _invoke(
        self, request: httpx.Request, app_id: str, method: str, body: bytes
    ) -> httpx.Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
        call = Invocation(
            app_id=app_id,
            method=method,
            http_method=request.method,
            headers=headers,
            body=json.loads(body) if body else None,
        )
        self.invocations.append(call)
        scripted = self.answers.get((app_id, method))
        if scripted is not None:
            return scripted(call) if callable(scripted) else scripted
        app = self.apps.get(app_id)
        if app is None:
            return httpx.Response(
                500, json={"errorCode": "ERR_DIRECT_INVOKE", "message": f"no app {app_id}"}
            )
        transport = httpx.ASGITransport(app=app)
        # like daprd: the callee learns who invoked it (the guard answers problems in a header
        # only to service invocations, which this marks)
        forwarded_headers = {k: v for k, v in headers.items() if k.lower() != "content-length"}
        forwarded_headers.setdefault("dapr-caller-app-id", self.caller_app_id)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{app_id}") as client:
            forwarded = await client.request(
                request.method,
                "/" + method,
                content=body,
                headers=forwarded_headers,
                params=request.url.params,
            )
            await forwarded.aread()
        return httpx.Response(
            forwarded.status_code, content=forwarded.content, headers=forwarded.headers
        )

    def _publish(self, topic: str, body: bytes) -> httpx.Response:
        if self.fail_publishes > 0:
            self.fail_publishes -= 1
            return httpx.Response(500, json={"errorCode": "ERR_PUBSUB_PUBLISH_MESSAGE"})
        envelope = json.loads(body)
        data = envelope.get("data", envelope) if isinstance(envelope, dict) else envelope
        self.published.append((topic, data))
        return httpx.Response(204)

    def _publish_bulk(self, topic: str, body: bytes) -> httpx.Response:
        """Each entry counts as one publish: `fail_publishes` refuses the first n entries."""
        failed = []
        for entry in json.loads(body):
            if self.fail_publishes > 0:
                self.fail_publishes -= 1
                failed.append({"entryId": entry["entryId"], "error": "scripted failure"})
                continue
            self._publish(topic, json.dumps(entry["event"]).encode())
        if failed:
            body_out = {"failedEntries": failed, "errorCode": "ERR_PUBSUB_PUBLISH_MESSAGE"}
            return httpx.Response(500, json=body_out)
        return httpx.Response(204)

    def _state(self, method: str, rest: str | None, body: bytes) -> httpx.Response:
        if method == "GET" and rest:
            stored = self.state.get(rest)
            if stored is None:
                return httpx.Response(204)
            value, etag = stored
            return httpx.Response(200, json=value, headers={"etag": str(etag)})
        if method == "POST" and rest == "bulk":  # bulk get: keys in the body, like daprd
            answer = []
            for key in json.loads(body)["keys"]:
                stored = self.state.get(key)
                item: dict[str, Any] = {"key": key}
                if stored is not None:
                    item |= {"data": stored[0], "etag": str(stored[1])}
                answer.append(item)
            return httpx.Response(200, json=answer)
        if method == "POST" and rest == "transaction":
            for operation in json.loads(body)["operations"]:
                key = operation["request"]["key"]
                if operation["operation"] == "upsert":
                    self._put(key, operation["request"]["value"])
                else:
                    self.state.pop(key, None)
            return httpx.Response(204)
        if method == "POST" and rest is None:
            items = json.loads(body)
            for item in items:  # check every item first: a bulk save is all or nothing here
                current = self.state.get(item["key"])
                first_write = item.get("options", {}).get("concurrency") == "first-write"
                etag = item.get("etag")
                if first_write and etag is None and current is not None:
                    return httpx.Response(
                        self.lost_first_write_status,
                        json={"errorCode": "ERR_STATE_SAVE", "message": "no item was updated"},
                    )
                if (
                    first_write
                    and etag is not None
                    and (current is None or str(current[1]) != etag)
                ):
                    return httpx.Response(409, json={"errorCode": "ERR_STATE_SAVE"})
            for item in items:
                self._put(item["key"], item["value"])
            return httpx.Response(204)
        return httpx.Response(405)

    async def _actor(
        self, method: str, actor_type: str, actor_id: str, rest: str, body: bytes
    ) -> httpx.Response:
        if rest.startswith("method/"):
            host = self.actor_hosts.get(actor_type)
            if host is None:
                message = f"did not find address for actor {actor_type}/{actor_id}"
                return httpx.Response(
                    500, json={"errorCode": "ERR_ACTOR_INVOKE_METHOD", "message": message}
                )
            self.actor_calls += 1
            turn = self._actor_turns.setdefault((actor_type, actor_id), asyncio.Lock())
            async with (
                turn,
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=host), base_url="http://actor-host"
                ) as client,
            ):
                answer = await client.put(
                    f"/actors/{actor_type}/{actor_id}/{rest}",
                    content=body,
                    headers={"content-type": "application/json"},
                )
            return httpx.Response(answer.status_code, content=answer.content)
        if rest == "state" and method in ("PUT", "POST"):
            for operation in json.loads(body):
                request = operation["request"]
                key = (actor_type, actor_id, request["key"])
                if operation["operation"] == "upsert":
                    ttl = request.get("metadata", {}).get("ttlInSeconds")
                    self.actor_state[key] = (request["value"], int(ttl) if ttl else None)
                else:
                    self.actor_state.pop(key, None)
            return httpx.Response(204)
        if rest.startswith("state/") and method == "GET":
            stored = self.actor_state.get((actor_type, actor_id, rest.removeprefix("state/")))
            return httpx.Response(204) if stored is None else httpx.Response(200, json=stored[0])
        return httpx.Response(405)

    def _put(self, key: str, value: Any) -> None:
        previous = self.state.get(key)
        self.state[key] = (value, (previous[1] + 1) if previous else 1)
