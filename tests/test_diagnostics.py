"""What a failed stack test prints from the logs: warnings and errors, from the apps' JSON lines
as from daprd's and Kafka's text lines."""

from __future__ import annotations

import json
from pathlib import Path

from tests.diagnostics import notable, notable_log_lines

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def _json(level: str, message: str, **more: str) -> str:
    entry = {"time": "2025-01-31T09:00:00.000Z", "level": level, "logger": "triage.chat"}
    return json.dumps({**entry, "message": message, "app_id": "triage", **more}) + "\n"


def test_json_warnings_and_errors_are_shown_readably_with_their_trace(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "triage.log").write_text(
        _json("INFO", "POST /chat 200", trace_id=TRACE)
        + _json("WARNING", "tutor is slow", trace_id=TRACE)
        + _json(
            "ERROR",
            "unhandled error",
            exception="Traceback (most recent call last):\n  ...\nValueError: boom",
        )
        + "not json at all: a stray line\n"
    )
    (logs / "triage-dapr.log").write_text(
        'time="x" level=info msg="fine"\ntime="x" level=warning msg="retrying"\n'
    )
    shown = notable_log_lines(tmp_path)
    assert "POST /chat" not in shown and "fine" not in shown and "stray" not in shown
    assert f"triage WARNING triage.chat: tutor is slow [trace {TRACE}]" in shown
    assert "triage ERROR triage.chat: unhandled error | ValueError: boom" in shown
    assert 'level=warning msg="retrying"' in shown


def test_text_lines_are_still_read() -> None:
    line = "2025-01-31 09:00:00,000 triage WARNING triage.chat: slow [trace abc]\n"
    assert notable(line) == line.rstrip()
    assert notable("2025-01-31 09:00:00,000 triage INFO triage.chat: fine\n") is None
