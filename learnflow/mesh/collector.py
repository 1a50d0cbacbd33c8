"""The stack's trace collector: a Zipkin v2 endpoint that appends every span to a file.

    python -m learnflow.mesh.collector --port 19418 --out <run dir>/logs/traces.jsonl

Every daprd of the stack exports its spans here (components/config.yaml `tracing.zipkin`, with
this stack's port written in by `learnflow.mesh.services.render_resources`); `learnflow up`
starts it first and the watchdog restarts it like any other process. Zipkin's v2 JSON API is
the smallest real protocol daprd exports: `POST /api/v2/spans` with a JSON array of spans.
Each span becomes one JSON line (`learnflow.mesh.traces` reads them back, `learnflow trace`
prints one trace). When the file passes `max_bytes` it is moved to `traces.jsonl.1` (the
previous one dropped), so a long-running stack keeps at most twice that on disk.

Nothing is sampled away here: the Configuration samples every request (`samplingRate: "1"`).
A production cluster exports to a real collector instead (learnflow.deploy.render_k8s).
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import threading
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from learnflow.logs import configure_logging
from learnflow.settings import Settings

log = logging.getLogger("learnflow.collector")

SPANS_PATH = "/api/v2/spans"
MAX_BODY_BYTES = 32 * 1024**2  # one export batch; daprd sends far less
DEFAULT_MAX_BYTES = 64 * 1024**2


class SpanFile:
    """Appends spans as JSON lines, one writer at a time, rotating at `max_bytes`."""

    def __init__(self, path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)

    def append(self, spans: Sequence[dict[str, Any]]) -> None:
        text = "".join(json.dumps(s, separators=(",", ":")) + "\n" for s in spans)
        with self._lock:
            try:
                too_big = self.path.stat().st_size + len(text) > self.max_bytes
            except FileNotFoundError:
                too_big = False
            if too_big:
                os.replace(self.path, self.path.with_name(self.path.name + ".1"))
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(text)


def parse_spans(body: bytes, content_encoding: str = "") -> list[dict[str, Any]]:
    """The spans of one Zipkin v2 JSON export; ValueError when it is not one."""
    if content_encoding.strip().lower() == "gzip":
        body = gzip.decompress(body)
    spans = json.loads(body)
    if not isinstance(spans, list):
        raise ValueError("a Zipkin v2 export is a JSON array of spans")
    return [s for s in spans if isinstance(s, dict) and s.get("traceId") and s.get("id")]


def make_server(host: str, port: int, spans: SpanFile) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        server_version = "learnflow-collector"

        def do_GET(self) -> None:
            self._answer(200 if self.path == "/healthz" else 404)

        def do_POST(self) -> None:
            if self.path.split("?")[0] != SPANS_PATH:
                self._answer(404)
                return
            length = int(self.headers.get("content-length") or 0)
            if length <= 0 or length > MAX_BODY_BYTES:
                self._answer(413 if length > 0 else 400)
                return
            body = self.rfile.read(length)
            try:
                found = parse_spans(body, self.headers.get("content-encoding", ""))
            except (ValueError, OSError) as exc:  # OSError: a broken gzip stream
                log.warning("refused an export that is not Zipkin v2 JSON: %s", exc)
                self._answer(400)
                return
            spans.append(found)
            self._answer(202)

        def _answer(self, status: int) -> None:
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: one line per export would drown the log (failures are logged above)."""

    return ThreadingHTTPServer((host, port), Handler)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m learnflow.mesh.collector")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--out", type=Path, required=True, help="the traces.jsonl to append to")
    parser.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES)
    args = parser.parse_args(argv)
    configure_logging("trace-collector", Settings().log_format)
    server = make_server(args.host, args.port, SpanFile(args.out, args.max_bytes))
    log.info("collecting spans on %s:%s into %s", args.host, args.port, args.out)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
