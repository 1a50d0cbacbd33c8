"""Run every benchmark and print one JSON report (`make bench`).

`python -m benchmarks [mesh|code_runner|workflows|offline_tutor|hop|outbox|llm ...]` runs only the
named ones.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
from typing import Any

BENCHES = {
    "mesh": "benchmarks.mesh_bench",
    "code_runner": "benchmarks.code_runner_bench",
    "workflows": "benchmarks.workflow_bench",
    "offline_tutor": "benchmarks.offline_tutor_bench",
    "hop": "benchmarks.hop_bench",
    "quota": "benchmarks.quota_bench",
    "outbox": "benchmarks.outbox_bench",
    "llm": "benchmarks.llm_bench",
}


def main(argv: list[str]) -> int:
    names = argv or [n for n in BENCHES if importlib.util.find_spec(BENCHES[n]) is not None]
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        print(
            f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHES)}",
            file=sys.stderr,
        )
        return 2
    report: dict[str, Any] = {}
    for name in names:
        print(f"==> benchmark: {name}", file=sys.stderr, flush=True)
        report[name] = importlib.import_module(BENCHES[name]).run()
        print(json.dumps({name: report[name]}, indent=2), file=sys.stderr, flush=True)
    json.dump(report, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
