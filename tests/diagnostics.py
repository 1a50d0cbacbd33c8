"""What a failed stack test prints about the stack: the warnings and errors its processes logged.

CI runs on a fresh clone that is deleted afterwards, so a flaky failure is only ever understood
from what the failing test printed; a timeout alone ("did not show within 60 s") says nothing
about which app stalled.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

#: Python apps log JSON lines (learnflow.logs; "<time> <app> WARNING ..." with
#: LEARNFLOW_LOG_FORMAT=text), daprd logs `level=warning`; tracebacks matter too.
NOTABLE = re.compile(r" (WARNING|ERROR|CRITICAL) |level=(warning|error|fatal)|Traceback|Error:")
NOTABLE_LEVELS = frozenset({"WARNING", "ERROR", "CRITICAL"})
#: What daprd logs on every start or once a minute whatever happens: noise here.
NOISE = (
    "Aborting to hot-reload a state store component",
    "increasedCardinality",
    "Graceful shutdown timeout is infinite",
)


def notable_log_lines(
    run_dir: Path, names: Iterable[str] | None = None, *, per_log: int = 12
) -> str:
    """The last `per_log` notable lines of each log under `run_dir/logs` (all logs, or `names`)."""
    logs = run_dir / "logs"
    if not logs.is_dir():
        return f"(no logs under {logs})"
    wanted = sorted(logs.glob("*.log")) if names is None else [logs / f"{n}.log" for n in names]
    parts = []
    for log in wanted:
        if not log.is_file():
            continue
        with log.open(errors="replace") as handle:
            lines = [shown[:400] for line in handle if (shown := notable(line)) is not None]
        if lines:
            parts.append(f"--- {log.name} (last {min(per_log, len(lines))} of {len(lines)})")
            parts.extend(lines[-per_log:])
    return "\n".join(parts) or "(no warning or error in the logs)"


def notable(line: str) -> str | None:
    """`line` as shown when it is a warning, an error or part of a traceback; else None. A JSON
    line (learnflow.logs) is shown as readable text, with its trace id and the last line of
    its traceback."""
    if any(noise in line for noise in NOISE):
        return None
    entry = _json_entry(line)
    if entry is None:
        return line.rstrip() if NOTABLE.search(line) else None
    exception = str(entry.get("exception") or "")
    if entry.get("level") not in NOTABLE_LEVELS and not exception:
        return None
    shown = (
        f"{entry.get('time', '')} {entry.get('app_id', '')} {entry.get('level', '')} "
        f"{entry.get('logger', '')}: {entry.get('message', '')}"
    )
    if exception:
        shown += f" | {exception.strip().splitlines()[-1]}"
    if entry.get("trace_id"):
        shown += f" [trace {entry['trace_id']}]"
    return shown


def _json_entry(line: str) -> dict[str, object] | None:
    if not line.lstrip().startswith("{"):
        return None
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    return entry if isinstance(entry, dict) and "level" in entry else None
