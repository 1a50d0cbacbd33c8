"""What a failed stack test prints about the stack: the warnings and errors its processes logged.

CI runs on a fresh clone that is deleted afterwards, so a flaky failure is only ever understood
from what the failing test printed; a timeout alone ("did not show within 60 s") says nothing
about which app stalled.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

#: Python apps log "<time> <app> WARNING ...", daprd logs `level=warning`; tracebacks matter too.
NOTABLE = re.compile(r" (WARNING|ERROR|CRITICAL) |level=(warning|error|fatal)|Traceback|Error:")
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
            lines = [
                line.rstrip()[:400]
                for line in handle
                if NOTABLE.search(line) and not any(noise in line for noise in NOISE)
            ]
        if lines:
            parts.append(f"--- {log.name} (last {min(per_log, len(lines))} of {len(lines)})")
            parts.extend(lines[-per_log:])
    return "\n".join(parts) or "(no warning or error in the logs)"
