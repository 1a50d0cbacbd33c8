"""Async client for this app's own Dapr sidecar (HTTP API).

Services never call each other directly: every hop goes through `Sidecar` — service invocation,
pub/sub, state. Transport failures and 5xx answers become `DependencyFailed`; a 4xx answer from
another app is passed on with its status and message (`UpstreamRejected`), so the learner sees
what to fix, and a busy or rate-limited app's answer stays 503/429 with its Retry-After.

Invocations ask the callee for its problems "in a header" (`learnflow.api.guard`): the callee
answers a 4xx or a busy 503 as HTTP 200 with the real status in `x-learnflow-status`, so that
Dapr's circuit breaker, which counts every non-2xx answer as a failure, opens only when the app
really fails — never because learners sent bad input or a queue was full. It also tells an app's
own 404 ("no such exercise") apart from daprd's ("no such app or method").

Every call carries the `traceparent` of the request or event being served
(`learnflow.tracecontext`), so daprd continues that trace instead of starting one per call.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from learnflow.api.guard import PROBLEMS_HEADER, PROBLEMS_IN_HEADER, STATUS_HEADER
from learnflow.errors import (
    Busy,
    Conflict,
    DependencyFailed,
    LearnFlowError,
    RateLimited,
    Unavailable,
)
from learnflow.events import Event, to_wire
from learnflow.settings import Settings
from learnflow.tracecontext import trace_headers

log = logging.getLogger("learnflow.sidecar")


class UpstreamRejected(LearnFlowError):
    """Another app answered a service invocation with a 4xx; carries its status and message."""

    code = "upstream_rejected"

    def __init__(self, message: str, status_code: int, app_id: str) -> None:
        super().__init__(message, app_id=app_id)
        self.status_code = status_code
        self.app_id = app_id


def _error_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300] or response.reason_phrase
    if isinstance(body, dict):
        for key in ("detail", "message", "error"):
            if isinstance(body.get(key), str):
                return str(body[key])
    return json.dumps(body)[:300]


def _expect_ok(response: httpx.Response, what: str, dependency: str) -> None:
    """A non-2xx answer from the sidecar becomes `DependencyFailed` naming `what` failed; the
    state store failing (its database is away) is `Unavailable`: nothing was saved, retry."""
    if response.status_code >= 500 and dependency == "statestore":
        log.warning(
            "%s failed with HTTP %s: %s", what, response.status_code, _error_message(response)
        )
        raise Unavailable(
            "Session storage is unavailable for the moment, so nothing was saved. "
            "Try again in a few seconds.",
            dependency=dependency,
        )
    if response.status_code >= 300:
        raise DependencyFailed(
            f"{what} failed with HTTP {response.status_code}: {_error_message(response)}",
            dependency=dependency,
        )


BULK_MAX_ENTRIES = 100  # entries per bulk request: one Kafka batch, a bounded request body
# actor types and ids go into URL paths as they are: nothing that could address another route
ACTOR_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}")


@dataclass
class BulkPublishResult:
    """What `Sidecar.publish_bulk` did: the ids the broker took, and the ids it did not (with
    the last error for each). Every event is in exactly one of the two."""

    published: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    def raise_for_failures(self) -> None:
        """`DependencyFailed` naming the failed ids, when any failed."""
        if self.failed:
            first_id, first_error = next(iter(self.failed.items()))
            raise DependencyFailed(
                f"{len(self.failed)} of {len(self.failed) + len(self.published)} event(s) were "
                f"not published (first: {first_id}: {first_error})",
                dependency="pubsub",
            )


class _RequestFailed(Exception):
    """A whole bulk request failed; `retry` says whether trying again can help."""

    def __init__(self, message: str, *, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry


def _cloud_event(event: Event, default_source: str) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": event.id,
        "source": event.source or default_source,
        "type": f"learnflow.{event.topic}.v{event.version}",
        "datacontenttype": "application/json",
        "data": to_wire(event),
    }


def _failed_entries(response: httpx.Response) -> dict[str, str] | None:
    """The per-entry failures in a bulk publish answer, or None when it does not list them."""
    try:
        body = response.json()
    except ValueError:
        return None
    entries = body.get("failedEntries") if isinstance(body, dict) else None
    if not isinstance(entries, list):
        return None
    return {
        str(e.get("entryId")): str(e.get("error") or body.get("errorCode") or "failed")
        for e in entries
        if isinstance(e, dict)
    }


def _raise_if_unavailable(response: httpx.Response, app_id: str) -> None:
    """Another LearnFlow app answered 503 (its database is down) or 424 (an app it
    needs is down, `FailedDependency`): pass its plain message and Retry-After on as
    `Unavailable`. Only our own problem bodies are passed on; anything else (daprd's own
    errors) stays a `DependencyFailed` the caller words itself."""
    try:
        body = response.json()
    except ValueError:
        return
    known = ("unavailable", "failed_dependency")  # "busy" stays `Busy` (a full queue)
    if not isinstance(body, dict) or body.get("error") not in known:
        return
    retry_after = response.headers.get("retry-after", "")
    raise Unavailable(
        str(body.get("message") or f"{app_id} is unavailable right now; try again soon"),
        dependency=str(body.get("dependency") or app_id),
        retry_after_s=int(retry_after) if retry_after.isdigit() else 5,
        upstream=app_id,
    )


def _raise_for_invocation(response: httpx.Response, app_id: str, method: str) -> None:
    """Raise what an invocation's answer means when it is not a success (see `Sidecar.invoke`).

    An app's 4xx or 503 travels as 200 + `x-learnflow-status` (so Dapr's circuit breaker
    does not count it against the app, see `learnflow.api.guard`); it is restored here."""
    status = response.status_code
    marked = response.headers.get(STATUS_HEADER, "")
    if marked.isdigit():  # the app's own problem (see the module docstring)
        status = int(marked)
        if status in (424, 503):
            _raise_if_unavailable(response, app_id)
        if status in (429, 503):
            retry_after = response.headers.get("retry-after", "1")
            error = RateLimited if status == 429 else Busy
            raise error(
                _error_message(response),
                retry_after_s=int(retry_after) if retry_after.isdigit() else 1,
                app_id=app_id,
            )
        raise UpstreamRejected(_error_message(response), status, app_id)
    if status in (424, 503):  # an app's own answer that did not come through the guard
        _raise_if_unavailable(response, app_id)
    if 400 <= status < 500 and status not in (403, 404, 408, 429):
        raise UpstreamRejected(_error_message(response), status, app_id)
    if status >= 400:  # daprd's own answer (403: access control, 404: no such app) or 5xx
        raise DependencyFailed(
            f"{app_id} failed on {method} with HTTP {status}: {_error_message(response)}",
            dependency=app_id,
            upstream_status=status,
        )


class Mesh(Protocol):
    """What a service needs from its sidecar for invocation and state: `Sidecar` provides it,
    and so does the in-memory `learnflow.testing.FakeSidecar` (unit tests, in-process tools)."""

    async def invoke(
        self,
        app_id: str,
        method: str,
        *,
        json_body: Any = None,
        http_method: str = "POST",
        headers: Mapping[str, str] | None = None,
    ) -> Any: ...

    async def get_state_entry(self, key: str) -> tuple[Any | None, str | None]: ...

    async def save_state(
        self, key: str, value: Any, *, etag: str | None = None, first_write: bool = True
    ) -> None: ...


class Sidecar:
    """One app's view of its daprd. Cheap to create; share one per app (see `lifespan`)."""

    def __init__(
        self,
        settings: Settings,
        client: httpx.AsyncClient | None = None,
        *,
        timeout_s: float | None = None,
    ) -> None:
        self.settings = settings
        self.timeout_s = timeout_s or self.settings.invoke_timeout_s
        headers = {}
        if self.settings.dapr_api_token is not None:
            headers["dapr-api-token"] = self.settings.dapr_api_token.get_secret_value()
        self._client = client or httpx.AsyncClient(
            base_url=self.settings.dapr_http_endpoint,
            headers=headers,
            timeout=httpx.Timeout(self.timeout_s, connect=5.0),
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _request(
        self,
        what: str,
        method: str,
        url: str,
        *,
        waiting_on: str = "daprd",
        stream: bool = False,
        **kwargs: Any,
    ) -> httpx.Response:
        """One call to daprd, answered within `timeout_s` in all (httpx's own timeouts are per
        read): a call that takes longer is `DependencyFailed` on `waiting_on` — the app invoked,
        for a service invocation, so the caller can say which app did not answer in time.
        `stream`: only the status and headers must come within `timeout_s`; the body is left
        to the caller to read (and to close)."""
        kwargs["headers"] = {**trace_headers(), **(kwargs.get("headers") or {})}
        request = self._client.build_request(method, url, **kwargs)
        try:
            async with asyncio.timeout(self.timeout_s):
                return await self._client.send(request, stream=stream)
        except (TimeoutError, httpx.TimeoutException) as exc:
            who = "the Dapr sidecar" if waiting_on == "daprd" else waiting_on
            raise DependencyFailed(
                f"{what}: {who} did not answer within {self.timeout_s:g} s",
                dependency=waiting_on,
            ) from exc
        except httpx.HTTPError as exc:
            # daprd is not running (the supervisor restarts it within seconds)
            log.warning(
                "%s: could not reach the Dapr sidecar at %s (%s)",
                what,
                self.settings.dapr_http_endpoint,
                type(exc).__name__,
            )
            raise Unavailable(
                "Part of LearnFlow is restarting. Try again in a few seconds.",
                dependency="daprd",
                retry_after_s=2,
            ) from exc

    # --- service invocation ------------------------------------------------------------------
    async def invoke(
        self,
        app_id: str,
        method: str,
        *,
        json_body: Any = None,
        http_method: str = "POST",
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Call `method` on app `app_id` through the sidecars; returns the decoded JSON answer.
        An app's problems raise as `_raise_for_invocation` says."""
        response = await self._request(
            f"invoke {app_id}/{method}",
            http_method,
            f"/v1.0/invoke/{app_id}/method/{method.lstrip('/')}",
            waiting_on=app_id,
            json=json_body,
            headers={**(headers or {}), PROBLEMS_HEADER: PROBLEMS_IN_HEADER},
        )
        _raise_for_invocation(response, app_id, method)
        if not response.content:
            return None
        return response.json()

    @asynccontextmanager
    async def invoke_stream(
        self,
        app_id: str,
        method: str,
        *,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> AsyncIterator[httpx.Response]:
        """`invoke` (POST) for a route that streams its answer (`learnflow.sse`): yields the
        open response once its status and headers came, within `timeout_s`; the caller reads
        the body (`aiter_lines()`, each read within the client's read timeout). An app's
        problem raises as `invoke` raises it. Leaving the block closes the connection: daprd
        then closes its call to the app, which cancels what it was generating.

        No `Accept: text/event-stream` goes to daprd: it would take daprd's separate SSE path;
        its ordinary invocation path streams the body as the app writes it (daprd >= 1.18)."""
        response = await self._request(
            f"invoke {app_id}/{method}",
            "POST",
            f"/v1.0/invoke/{app_id}/method/{method.lstrip('/')}",
            waiting_on=app_id,
            stream=True,
            json=json_body,
            headers={**(headers or {}), PROBLEMS_HEADER: PROBLEMS_IN_HEADER},
        )
        try:
            if response.status_code >= 400 or STATUS_HEADER in response.headers:
                await response.aread()  # a problem: its body says what
                _raise_for_invocation(response, app_id, method)
            yield response
        finally:
            await response.aclose()

    # --- pub/sub -----------------------------------------------------------------------------
    async def publish(self, event: Event, *, partition_key: str | None = None) -> None:
        """Publish `event` to its topic as a CloudEvent whose id is the event id."""
        cloud_event = _cloud_event(event, self.settings.app_id or "learnflow")
        params = {}
        key = partition_key or event.session_id or event.user_id
        if key:
            params["metadata.partitionKey"] = key
        response = await self._request(
            f"publish {event.topic}",
            "POST",
            f"/v1.0/publish/{self.settings.pubsub_name}/{event.topic}",
            content=json.dumps(cloud_event),
            params=params,
            headers={"content-type": "application/cloudevents+json"},
        )
        _expect_ok(response, f"publishing {event.topic}", "pubsub")

    async def publish_bulk(
        self,
        events: Sequence[Event],
        *,
        partition_keys: Mapping[str, str] | None = None,
        attempts: int = 3,
        backoff_s: float = 0.2,
    ) -> BulkPublishResult:
        """Publish many events with Dapr's bulk publish API: one request per topic and up to
        `BULK_MAX_ENTRIES` events, each entry's id being the event id (so is its CloudEvent's).

        Not transactional: daprd reports which entries the broker refused, and only those are
        sent again (up to `attempts` tries, `backoff_s` doubling between them); a request that
        failed as a whole (daprd unreachable, a 5xx without entries) is retried whole, a 4xx
        (unknown pub/sub, topic not allowed) is not. Events repeating an id are sent once. No
        exception for refused events: the result lists them, so a relay can keep exactly
        those; call `raise_for_failures()` to treat any failure as an error.

        Order: Dapr's bulk API makes no general promise (for a component without its own bulk
        publish, daprd publishes the entries concurrently), but the Kafka component LearnFlow
        uses hands a request's entries to its producer in entry order (components-contrib
        common/component/kafka/producer.go, `BulkPublish` -> sarama `SendMessages`), which keeps
        each partition's order. Topics go in the order first seen. A refused entry sent again
        (here when `attempts` > 1, or by daprd's own pub/sub retry policy) lands after the
        entries the broker took: a caller that needs order passes `attempts=1` and sends the
        refused entry's successors again after it (`learnflow.outbox.publisher`)."""
        unique: dict[str, Event] = {}
        for event in events:
            unique.setdefault(event.id, event)
        keys = partition_keys or {}
        result = BulkPublishResult()
        by_topic: dict[str, list[Event]] = {}
        for event in unique.values():
            by_topic.setdefault(event.topic, []).append(event)
        for topic, topic_events in by_topic.items():
            for start in range(0, len(topic_events), BULK_MAX_ENTRIES):
                chunk = topic_events[start : start + BULK_MAX_ENTRIES]
                await self._bulk_chunk(topic, chunk, keys, attempts, backoff_s, result)
        return result

    async def _bulk_chunk(
        self,
        topic: str,
        chunk: list[Event],
        keys: Mapping[str, str],
        attempts: int,
        backoff_s: float,
        result: BulkPublishResult,
    ) -> None:
        pending = {event.id: event for event in chunk}
        errors: dict[str, str] = {}
        delay = backoff_s
        for attempt in range(1, max(1, attempts) + 1):
            try:
                refused = await self._bulk_request(topic, list(pending.values()), keys)
            except _RequestFailed as exc:
                errors = dict.fromkeys(pending, str(exc))
                if not exc.retry:
                    break
            else:
                for event_id in pending.keys() - refused.keys():
                    result.published.append(event_id)
                pending = {i: e for i, e in pending.items() if i in refused}
                errors = {i: refused[i] for i in pending}
                if not pending:
                    return
            if attempt < attempts:
                await asyncio.sleep(delay)
                delay *= 2
        result.failed.update({i: errors.get(i, "failed") for i in pending})

    async def _bulk_request(
        self, topic: str, events: list[Event], keys: Mapping[str, str]
    ) -> dict[str, str]:
        """One bulk publish request; returns the refused entries (id -> error)."""
        source = self.settings.app_id or "learnflow"
        entries = []
        for event in events:
            entry: dict[str, Any] = {
                "entryId": event.id,
                "event": _cloud_event(event, source),
                "contentType": "application/cloudevents+json",
            }
            key = keys.get(event.id) or event.session_id or event.user_id
            if key:
                entry["metadata"] = {"partitionKey": key}
            entries.append(entry)
        try:
            response = await self._client.post(
                f"/v1.0-alpha1/publish/bulk/{self.settings.pubsub_name}/{topic}",
                json=entries,
                headers=trace_headers(),
            )
        except httpx.HTTPError as exc:
            raise _RequestFailed(
                f"could not reach the Dapr sidecar ({type(exc).__name__})", retry=True
            ) from exc
        if response.status_code < 300:
            return _failed_entries(response) or {}
        refused = _failed_entries(response)
        if refused:  # daprd names the entries the broker did not take
            known = {e.id for e in events}
            return {i: error for i, error in refused.items() if i in known}
        message = (
            f"bulk publish to {topic}: HTTP {response.status_code}: {_error_message(response)}"
        )
        raise _RequestFailed(message, retry=response.status_code >= 500)

    async def publish_raw(self, topic: str, body: Any) -> None:
        """Publish a plain JSON body (used for dead letters, which need not match a contract)."""
        response = await self._request(
            f"publish {topic}",
            "POST",
            f"/v1.0/publish/{self.settings.pubsub_name}/{topic}",
            json=body,
        )
        _expect_ok(response, f"publishing to {topic}", "pubsub")

    # --- state -------------------------------------------------------------------------------
    async def get_state(self, key: str) -> Any | None:
        """The value stored under `key` (None when absent)."""
        value, _ = await self.get_state_entry(key)
        return value

    async def get_state_entry(self, key: str) -> tuple[Any | None, str | None]:
        """The value stored under `key` and its ETag (both None when absent).

        Read with the bulk API, the key in the JSON body: a key is often made from a caller's
        id, and in a URL path a `/`, `..` or control character would address another key (or
        another route) instead of failing."""
        response = await self._request(
            "get state",
            "POST",
            f"/v1.0/state/{self.settings.statestore_name}/bulk",
            json={"keys": [key], "parallelism": 1},
        )
        _expect_ok(response, f"reading state {key!r}", "statestore")
        items = response.json() if response.content else []
        item = items[0] if isinstance(items, list) and items else {}
        if item.get("error"):
            raise DependencyFailed(
                f"reading state {key!r} failed: {item['error']}", dependency="statestore"
            )
        if item.get("data") is None:
            return None, None
        return item["data"], item.get("etag")

    async def save_state(
        self, key: str, value: Any, *, etag: str | None = None, first_write: bool = True
    ) -> None:
        """Save one key. With `first_write`, a concurrent change since `etag` (or, without an
        etag, an existing key) raises `Conflict` instead of being overwritten."""
        item: dict[str, Any] = {"key": key, "value": value}
        if etag is not None:
            item["etag"] = etag
        if first_write:
            item["options"] = {"concurrency": "first-write"}
        response = await self._request(
            f"save state {key}",
            "POST",
            f"/v1.0/state/{self.settings.statestore_name}",
            json=[item],
        )
        if response.status_code == 409:
            raise Conflict(f"state {key!r} was changed concurrently; reload and retry", key=key)
        _expect_ok(response, f"saving state {key!r}", "statestore")

    # --- actors ------------------------------------------------------------------------------
    async def invoke_actor(
        self, actor_type: str, actor_id: str, method: str, *, json_body: Any = None
    ) -> Any:
        """Call `method` of actor `actor_type`/`actor_id`, wherever placement put it (this
        app's replica or another's): daprd runs one call per actor at a time (turn-based
        concurrency). Returns the decoded JSON answer.

        The actor not being reachable (placement still electing, its host restarting, the
        method failing) is `Unavailable`: the caller cannot do its work now, but may retry."""
        what = f"actor {actor_type}/{actor_id}.{method}"
        content = await self.actor_request(
            what, "PUT", actor_type, actor_id, f"method/{method}", json.dumps(json_body).encode()
        )
        return json.loads(content) if content else None

    async def actor_request(
        self,
        what: str,
        http_method: str,
        actor_type: str,
        actor_id: str,
        tail: str,
        content: bytes | None = None,
    ) -> bytes:
        """One call to daprd's actor API (`/v1.0/actors/<type>/<id>/<tail>`): an invocation,
        the actor's state, its timers or reminders. Returns the raw answer (empty for 204)."""
        for part in (actor_type, actor_id):
            if not ACTOR_NAME.fullmatch(part):
                raise ValueError(f"{part!r} is not a usable actor type or id")
        response = await self._request(
            what,
            http_method,
            f"/v1.0/actors/{actor_type}/{actor_id}/{tail}",
            content=content,
            headers={"content-type": "application/json"},
        )
        if response.status_code >= 500:
            log.warning(
                "%s failed with HTTP %s: %s", what, response.status_code, _error_message(response)
            )
            raise Unavailable(
                "Part of LearnFlow is restarting. Try again in a few seconds.",
                dependency="actors",
                retry_after_s=2,
            )
        _expect_ok(response, what, "actors")
        return response.content
