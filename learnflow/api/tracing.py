"""The ASGI middleware that serves each request under its trace (installed by
`create_service_app`, outside every other middleware).

It takes the trace from the `traceparent` header daprd sends (or starts one for a request that
came without), so that every line logged while serving the request carries its trace id and
every call to the sidecar continues it (`learnflow.tracecontext`). The answer names the trace in
`traceresponse`, and one access line is logged per request (uvicorn's own access log is off):
method, path, status and duration — never the query string or any header.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection

from learnflow.api.guard import ASGIApp, Message, Receive, Scope, Send
from learnflow.tracecontext import (
    HEADER,
    RESPONSE_HEADER,
    TraceContext,
    parse_traceparent,
    reset_current_trace,
    set_current_trace,
)

access_log = logging.getLogger("learnflow.access")
#: daprd probes these every few seconds: an access line for each would drown the rest.
QUIET_PATHS = frozenset({"/healthz"})


def _traceparent(scope: Scope) -> str | None:
    for key, value in scope.get("headers", ()):
        if bytes(key).lower() == HEADER.encode():
            return bytes(value).decode("latin-1")
    return None


class TraceMiddleware:
    def __init__(self, app: ASGIApp, *, quiet_paths: Collection[str] = QUIET_PATHS) -> None:
        self.app = app
        self.quiet_paths = quiet_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        context = parse_traceparent(_traceparent(scope)) or TraceContext.new()
        status = 500  # what the client sees if the app fails before answering
        started = time.perf_counter()

        async def send_with_trace(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers", []))
                headers.append((RESPONSE_HEADER.encode(), context.header().encode()))
                message = {**message, "headers": headers}
            await send(message)

        token = set_current_trace(context)
        try:
            await self.app(scope, receive, send_with_trace)
        finally:
            self._log_access(scope, status, started)
        # Reset only when the app answered: when it raised, the server-error handler outside
        # every middleware (`learnflow.api.problems`' "unhandled error") logs under this trace
        # too. The server runs each request in its own task, with its own copy of the context.
        reset_current_trace(token)

    def _log_access(self, scope: Scope, status: int, started: float) -> None:
        path = str(scope.get("path", ""))
        if path in self.quiet_paths:
            return
        method = str(scope.get("method", ""))
        elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
        access_log.info(
            "%s %s %s (%.0f ms)",
            method,
            path,
            status,
            elapsed_ms,
            extra={
                "http_method": method,
                "http_path": path,
                "http_status": status,
                "duration_ms": elapsed_ms,
            },
        )
