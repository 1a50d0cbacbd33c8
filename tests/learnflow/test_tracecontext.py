"""W3C `traceparent` parsing and the current trace: what daprd sends is read, anything else is
ignored (never an error)."""

from __future__ import annotations

import pytest

from learnflow.tracecontext import (
    TraceContext,
    current_trace,
    parse_traceparent,
    trace_headers,
    trace_scope,
)

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN = "00f067aa0ba902b7"


def test_a_valid_traceparent_is_read() -> None:
    context = parse_traceparent(f"00-{TRACE}-{SPAN}-01")
    assert context == TraceContext(TRACE, SPAN, "01")
    assert context.header() == f"00-{TRACE}-{SPAN}-01"


def test_upper_case_and_a_later_version_with_more_fields_are_read() -> None:
    assert parse_traceparent(f"01-{TRACE.upper()}-{SPAN}-00-extra") == TraceContext(
        TRACE, SPAN, "00"
    )


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "garbage",
        f"00-{'0' * 32}-{SPAN}-01",  # all-zero trace id
        f"00-{TRACE}-{'0' * 16}-01",  # all-zero span id
        f"ff-{TRACE}-{SPAN}-01",  # version ff is invalid
        f"00-{TRACE}-{SPAN}-01-extra",  # version 00 has exactly four fields
        f"00-{TRACE[:-1]}-{SPAN}-01",
    ],
)
def test_an_invalid_traceparent_is_ignored(value: str | None) -> None:
    assert parse_traceparent(value) is None


def test_a_new_trace_is_valid_w3c() -> None:
    context = TraceContext.new()
    assert parse_traceparent(context.header()) == context
    assert TraceContext.new().trace_id != context.trace_id


def test_the_current_trace_is_scoped_and_forwarded() -> None:
    assert current_trace() is None and trace_headers() == {}
    context = TraceContext(TRACE, SPAN)
    with trace_scope(context):
        assert current_trace() == context
        assert trace_headers() == {"traceparent": f"00-{TRACE}-{SPAN}-01"}
    assert current_trace() is None
