"""Run every benchmark and print one JSON report (`make bench`)."""

from __future__ import annotations

import json
import sys

from benchmarks import mesh_bench


def main() -> int:
    report = {"mesh": mesh_bench.run()}
    try:
        from benchmarks import code_runner_bench
    except ImportError:
        code_runner_bench = None  # type: ignore[assignment]
    if code_runner_bench is not None and hasattr(code_runner_bench, "run"):
        report["code_runner"] = code_runner_bench.run()
    json.dump(report, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
