"""`learnflow trace <trace id>`: one request's spans, as the stack's sidecars recorded them.

The trace id is on every log line of the request (`trace_id`, learnflow.logs) and in the
`traceresponse` header of its answer; either that header's value or the bare id is accepted.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from learnflow.errors import InvalidInput
from learnflow.mesh.traces import render_trace, service_of, spans_of, traces_path
from learnflow.settings import get_settings
from learnflow.tracecontext import parse_traceparent

_TRACE_ID = re.compile(r"^[0-9a-f]{32}$")


def trace_id_of(text: str) -> str:
    """The trace id in a bare id or a `traceparent`/`traceresponse` value."""
    value = text.strip().lower()
    context = parse_traceparent(value)
    if context is not None:
        return context.trace_id
    if not _TRACE_ID.match(value):
        raise InvalidInput(
            f"{text!r} is not a trace id (32 hex digits, or a traceparent header's value)"
        )
    return value


def _trace(args: argparse.Namespace) -> int:
    trace_id = trace_id_of(args.trace_id)
    path = traces_path(args.run_dir or get_settings().run_dir)
    spans = spans_of(trace_id, path)
    if args.json:
        print(json.dumps(spans, indent=2))
        return 0 if spans else 1
    if not spans:
        print(
            f"no span of trace {trace_id} in {path} (spans reach it a few seconds after the "
            "request; is the stack's trace-collector running? see `learnflow status`)",
            file=sys.stderr,
        )
        return 1
    apps = sorted({service_of(s) for s in spans})
    print(f"trace {trace_id}: {len(spans)} span(s) from {', '.join(apps)}")
    print(f"{'start':>12} {'duration':>12}  app kind name")
    for line in render_trace(spans):
        print(line)
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "trace", help="print one request's spans (from the stack's trace collector)"
    )
    p.add_argument("trace_id", help="the trace id of a log line, or a traceresponse header")
    p.add_argument("--json", action="store_true", help="the raw Zipkin v2 spans")
    p.add_argument(
        "--run-dir", type=Path, default=None, help="the stack's run dir (default: settings')"
    )
    p.set_defaults(func=_trace)
