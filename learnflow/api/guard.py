"""The ASGI guard in front of every LearnFlow app (installed by `create_service_app`).

In order, for each HTTP request:

1. **Who may call**: with an app API token configured, every route except the open and public
   ones demands the `dapr-api-token` that only the app's own daprd sends (401 otherwise).
2. **Body size, counted on the bytes received**: a declared `Content-Length` over the limit is
   refused before reading; a body without one (chunked) is counted as it arrives and refused the
   moment it passes the limit (413) — it is never read whole.
3. **Text that cannot be stored**: NUL characters and unpaired surrogates in a JSON body, the
   path or the query string are refused with 422 (PostgreSQL and UTF-8 cannot hold them; before
   this they surfaced as 500s deep in a handler).
4. **Problems through the mesh**: a service invocation (daprd marks it with
   `dapr-caller-app-id`) whose caller sends `x-learnflow-problems: in-header`
   (`learnflow.sidecar.Sidecar.invoke`) gets 4xx and busy/unavailable (429/503) answers as HTTP
   200 with the real status in `x-learnflow-status`. Dapr's circuit breakers count every non-2xx
   answer as a failure of the app; a learner's bad input, a busy queue or a dependency that is
   down (424, `FailedDependency`) must never open the breaker that every other learner's
   requests go through. Real failures (500, 502, 504) stay as they are, and so do the answers to
   daprd's own calls (`/dapr/subscribe`, pub/sub deliveries, health probes): a 200 there would be
   read as success (a subscription list that is a problem object drops every subscription).
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from learnflow.api.problems import problem

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PROBLEMS_HEADER = "x-learnflow-problems"
PROBLEMS_IN_HEADER = "in-header"
CALLER_HEADER = "dapr-caller-app-id"  # daprd sets it on service invocation only
STATUS_HEADER = "x-learnflow-status"
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_MESSAGE = (
    "text must not contain NUL characters or unpaired UTF-16 surrogates; remove them and retry"
)


class BodyTooLarge(Exception):
    pass


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def has_unstorable_text(value: Any) -> bool:
    """Whether a decoded JSON value holds a NUL or a lone surrogate in any string or key."""
    if isinstance(value, str):
        return UNSTORABLE.search(value) is not None
    if isinstance(value, dict):
        return any(has_unstorable_text(k) or has_unstorable_text(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_unstorable_text(v) for v in value)
    return False


class RequestGuard:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        app_token: str | None,
        is_open: Callable[[str], bool],
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.token = app_token.encode() if app_token else None
        self.is_open = is_open

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if self.token is not None and not self.is_open(path):
            sent = (_header(scope, b"dapr-api-token") or "").encode("latin-1")
            if not hmac.compare_digest(sent, self.token):
                await self._answer(
                    scope,
                    receive,
                    send,
                    401,
                    "not_authenticated",
                    "this app only accepts calls through its Dapr sidecar "
                    "(missing or wrong dapr-api-token)",
                )
                return
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._too_large(scope, receive, send, int(declared))
            return
        query = bytes(scope.get("query_string", b"")).decode("latin-1")
        if UNSTORABLE.search(path) or any(
            UNSTORABLE.search(k) or UNSTORABLE.search(v) for k, v in parse_qsl(query)
        ):
            await self._answer(scope, receive, send, 422, "invalid_input", UNSTORABLE_MESSAGE)
            return
        try:
            body = await self._read_body(receive)
        except BodyTooLarge:
            await self._too_large(scope, receive, send, None)
            return
        content_type = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
        if content_type == "application/json" and body:
            try:
                decoded = json.loads(body)
            except ValueError:
                decoded = None  # the route's own parsing says what is wrong with it (400)
            if has_unstorable_text(decoded):
                await self._answer(scope, receive, send, 422, "invalid_input", UNSTORABLE_MESSAGE)
                return
        await self.app(
            scope,
            _replay(body, receive),
            _problems_in_header(send) if wants_status_header(scope) else send,
        )

    async def _read_body(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = bytes(message.get("body", b""))
            size += len(chunk)
            if size > self.max_body_bytes:
                raise BodyTooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    async def _too_large(
        self, scope: Scope, receive: Receive, send: Send, size: int | None
    ) -> None:
        """413. A body that announced its size is left to the server to discard (the client
        is still sending it and reads the answer after); a body that overflowed on the way in
        ends the connection, so nothing more of it is read."""
        told = f"the request body is {size} bytes" if size else "the request body is too large"
        await self._answer(
            scope,
            receive,
            send,
            413,
            "payload_too_large",
            f"{told}; the limit is {self.max_body_bytes} bytes",
            close=size is None,
        )

    @staticmethod
    async def _answer(
        scope: Scope,
        receive: Receive,
        send: Send,
        status: int,
        code: str,
        message: str,
        *,
        close: bool = False,
    ) -> None:
        response = problem(status, code, message)
        if close:  # do not read the rest of an oversized body: end the connection after this
            response.headers["connection"] = "close"
        if wants_status_header(scope):
            send = _problems_in_header(send)
        await response(scope, receive, send)


def wants_status_header(scope: Scope) -> bool:
    """A service invocation whose caller asked for problems in a header (see the module doc)."""
    asked = _header(scope, PROBLEMS_HEADER.encode()) == PROBLEMS_IN_HEADER
    return asked and _header(scope, CALLER_HEADER.encode()) is not None


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the app the body read already, then waits for the disconnect."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _problems_in_header(send: Send) -> Send:
    async def send_with_status_header(message: Message) -> None:
        if message["type"] == "http.response.start":
            status = int(message["status"])
            if 400 <= status < 500 or status == 503:
                headers = list(message.get("headers", []))
                headers.append((STATUS_HEADER.encode(), str(status).encode()))
                message = {**message, "status": 200, "headers": headers}
        await send(message)

    return send_with_status_header
