"""The spans the stack's trace collector (`learnflow.mesh.collector`) stored, read back.

Spans are Zipkin v2 objects, one per line of `<run dir>/logs/traces.jsonl` (the previous file,
once it grew too large, is `traces.jsonl.1`): `traceId`, `id`, `parentId`, `name`, `kind`,
`timestamp` and `duration` (microseconds), `localEndpoint.serviceName` (the app id of the
sidecar that recorded it), `tags`. `learnflow trace <id>` prints one trace as a tree.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

TRACES_FILE = "traces.jsonl"
Span = dict[str, Any]


def traces_path(run_dir: Path) -> Path:
    return run_dir / "logs" / TRACES_FILE


def _lines(path: Path) -> Iterator[str]:
    for candidate in (path.with_name(path.name + ".1"), path):
        try:
            with candidate.open(encoding="utf-8", errors="replace") as handle:
                yield from handle
        except FileNotFoundError:
            continue


def spans_of(trace_id: str, path: Path) -> list[Span]:
    """Every stored span of `trace_id` (32 hex digits), in start order."""
    wanted = trace_id.strip().lower()
    found: list[Span] = []
    for line in _lines(path):
        if wanted not in line:  # cheap filter before parsing
            continue
        try:
            span = json.loads(line)
        except ValueError:
            continue  # a line cut short by a crash
        if isinstance(span, dict) and str(span.get("traceId", "")).lower() == wanted:
            found.append(span)
    return sorted(found, key=lambda s: int(s.get("timestamp") or 0))


def service_of(span: Span) -> str:
    endpoint = span.get("localEndpoint") or {}
    return str(endpoint.get("serviceName") or "?") if isinstance(endpoint, dict) else "?"


def _failed(span: Span) -> bool:
    tags = span.get("tags") or {}
    return isinstance(tags, dict) and (
        "error" in tags or str(tags.get("otel.status_code", "")).upper() == "ERROR"
    )


def render_trace(spans: list[Span]) -> list[str]:
    """One line per span, children under their parent: start offset, duration, app, kind,
    name, and the error when the span failed."""
    if not spans:
        return []
    ids = {str(s.get("id")) for s in spans}
    children: dict[str | None, list[Span]] = {}
    for span in spans:
        parent = span.get("parentId")
        children.setdefault(str(parent) if parent in ids else None, []).append(span)
    start = min(int(s.get("timestamp") or 0) for s in spans)
    lines: list[str] = []

    def walk(parent: str | None, depth: int) -> None:
        for span in children.get(parent, []):
            offset_ms = (int(span.get("timestamp") or 0) - start) / 1000
            duration_ms = int(span.get("duration") or 0) / 1000
            kind = str(span.get("kind") or "").lower() or "-"
            line = (
                f"{offset_ms:>9.1f} ms {duration_ms:>9.1f} ms  {'  ' * depth}"
                f"{service_of(span)} {kind} {span.get('name', '')}"
            )
            if _failed(span):
                tags = span.get("tags") or {}
                line += f"  [error: {tags.get('error') or tags.get('otel.status_description')}]"
            lines.append(line)
            walk(str(span.get("id")), depth + 1)

    walk(None, 0)
    return lines
