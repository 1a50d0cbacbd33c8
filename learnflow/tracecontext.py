"""The W3C trace context of the request (or event) this code is serving.

daprd sends a `traceparent` header with every service invocation and pub/sub delivery, and
continues the trace it names when the app passes the header back on its own calls to daprd. We
keep it in a context variable so that every log line can carry the trace id
(`learnflow.logs`), and every call to the sidecar forwards it (`learnflow.sidecar`): one chat
message is then one trace across triage, the apps it calls and their sidecars' spans.

A request that arrives without one (the edge API, called straight on the app port) starts a
new trace, so its own log lines and the spans of the calls it makes still share one id.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass

HEADER = "traceparent"
#: The header a LearnFlow app answers with: the trace it served (W3C Trace Context level 2).
RESPONSE_HEADER = "traceresponse"
_TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$")


@dataclass(frozen=True)
class TraceContext:
    trace_id: str  # 32 lower-case hex digits
    span_id: str  # 16 lower-case hex digits: the span this process's work is a child of
    flags: str = "01"  # "01": sampled

    @classmethod
    def new(cls) -> TraceContext:
        """A new trace (a request that came with none)."""
        return cls(trace_id=secrets.token_hex(16), span_id=secrets.token_hex(8))

    def header(self) -> str:
        return f"00-{self.trace_id}-{self.span_id}-{self.flags}"


def parse_traceparent(value: object) -> TraceContext | None:
    """The context in a `traceparent` value; None when it is missing or not valid W3C (an
    invalid header is ignored, as the spec says, rather than failing the request)."""
    if not isinstance(value, str):
        return None
    match = _TRACEPARENT.match(value.strip().lower())
    if match is None:
        return None
    version, trace_id, span_id, flags, rest = match.groups()
    if version == "ff" or (version == "00" and rest):
        return None
    if trace_id == "0" * 32 or span_id == "0" * 16:
        return None
    return TraceContext(trace_id, span_id, flags)


_current: ContextVar[TraceContext | None] = ContextVar("learnflow_trace", default=None)


def current_trace() -> TraceContext | None:
    return _current.get()


def set_current_trace(context: TraceContext | None) -> Token[TraceContext | None]:
    """Serve the rest of this task (and the tasks it starts) under `context`, until
    `reset_current_trace(token)`."""
    return _current.set(context)


def reset_current_trace(token: Token[TraceContext | None]) -> None:
    _current.reset(token)


@contextmanager
def trace_scope(context: TraceContext | None) -> Iterator[TraceContext | None]:
    """Serve the code inside under `context` (None: outside any trace)."""
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


def trace_headers() -> dict[str, str]:
    """The header that continues the current trace in a call to daprd (empty outside one)."""
    context = _current.get()
    return {HEADER: context.header()} if context is not None else {}
