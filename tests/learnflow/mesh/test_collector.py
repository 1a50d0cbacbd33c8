"""The stack's trace collector on a real socket: Zipkin v2 exports become JSON lines, one per
span, that `learnflow trace` reads back as a tree."""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from learnflow.cli.commands.trace import trace_id_of
from learnflow.cli.main import main as cli
from learnflow.errors import InvalidInput
from learnflow.mesh.collector import SpanFile, make_server
from learnflow.mesh.traces import render_trace, spans_of, traces_path

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def _span(span_id: str, app: str, start_us: int, parent: str | None = None, **more: Any) -> Any:
    span = {
        "traceId": TRACE,
        "id": span_id,
        "name": f"/v1.0/invoke/{app}",
        "kind": "SERVER",
        "timestamp": start_us,
        "duration": 2000,
        "localEndpoint": {"serviceName": app},
        **more,
    }
    if parent:
        span["parentId"] = parent
    return span


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    out = traces_path(tmp_path)
    server = make_server("127.0.0.1", 0, SpanFile(out))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", out
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_exported_spans_are_stored_one_per_line(collector: tuple[str, Path]) -> None:
    url, out = collector
    assert httpx.get(f"{url}/healthz").status_code == 200
    first = [_span("a" * 16, "triage", 1_000), _span("b" * 16, "triage", 1_500, "a" * 16)]
    assert httpx.post(f"{url}/api/v2/spans", json=first).status_code == 202
    later = gzip.compress(json.dumps([_span("c" * 16, "concepts", 2_000, "b" * 16)]).encode())
    headers = {"content-type": "application/json", "content-encoding": "gzip"}
    assert httpx.post(f"{url}/api/v2/spans", content=later, headers=headers).status_code == 202

    lines = out.read_text().splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["a" * 16, "b" * 16, "c" * 16]


def test_what_is_not_a_zipkin_export_is_refused(collector: tuple[str, Path]) -> None:
    url, out = collector
    assert httpx.post(f"{url}/api/v2/spans", content=b"{not json").status_code == 400
    assert httpx.post(f"{url}/api/v2/spans", json={"traceId": TRACE}).status_code == 400
    assert httpx.post(f"{url}/api/v1/spans", json=[]).status_code == 404
    assert not out.exists()


def test_the_file_is_rotated_past_its_size(tmp_path: Path) -> None:
    spans = SpanFile(tmp_path / "traces.jsonl", max_bytes=400)
    for index in range(6):
        spans.append([_span(f"{index:016x}", "tutor", index)])
    rotated = tmp_path / "traces.jsonl.1"
    assert rotated.is_file() and (tmp_path / "traces.jsonl").stat().st_size <= 400
    # both files are read back
    assert len(spans_of(TRACE, tmp_path / "traces.jsonl")) == sum(
        len(p.read_text().splitlines()) for p in (rotated, tmp_path / "traces.jsonl")
    )


def test_a_trace_is_printed_as_a_tree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = traces_path(tmp_path)
    SpanFile(out).append(
        [
            _span("c" * 16, "concepts", 3_000, "b" * 16, tags={"error": "boom"}),
            _span("a" * 16, "triage", 1_000),
            _span("b" * 16, "triage", 2_000, "a" * 16, kind="CLIENT"),
            {**_span("d" * 16, "tutor", 1_000), "traceId": "f" * 32},  # another trace
            "not a span",
        ]
    )
    with out.open("a") as handle:
        handle.write('{"traceId": "' + TRACE + '", "id": "cut short')  # a crash mid-line
    lines = render_trace(spans_of(TRACE, out))
    assert len(lines) == 3
    assert "triage server" in lines[0] and lines[1].split("ms")[-1].startswith("    triage client")
    assert "concepts server" in lines[2] and "[error: boom]" in lines[2]

    assert cli(["trace", f"00-{TRACE}-{'a' * 16}-01", "--run-dir", str(tmp_path)]) == 0
    assert f"trace {TRACE}: 3 span(s) from concepts, triage" in capsys.readouterr().out
    assert cli(["trace", "e" * 32, "--run-dir", str(tmp_path)]) == 1


def test_a_trace_id_is_read_from_an_id_or_a_header() -> None:
    assert trace_id_of(TRACE.upper()) == TRACE
    assert trace_id_of(f"00-{TRACE}-{'a' * 16}-01") == TRACE
    with pytest.raises(InvalidInput):
        trace_id_of("not-a-trace")
