"""Sandbox overhead: a trivial `print("hi")` through the code runner vs the bare interpreter.

Every figure has its baseline measured in the same run, with the interpreter the sandbox uses:
- latency p50/p95 of `python -c 'print("hi")'` (bare) vs `run_python('print("hi")')`:
  cold (a fresh sandbox per run), warm (a pre-started sandbox from the pool, as the services
  see it between a learner's runs), back to back (calls as fast as possible: the pool cannot
  keep up, some runs start cold), and through the MCP tool (in-memory client session);
- runs/s with concurrency: `callers` threads calling the runner vs as many bare interpreters.

    .venv/bin/python benchmarks/code_runner_bench.py [--n 100]   # prints one JSON object
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.stats import summary_ms
from code_runner.config import SandboxSettings
from code_runner.sandbox.runner import Runner

CODE = 'print("hi")'


def _timed(call: Callable[[], object], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def _interleaved(calls: dict[str, Callable[[], object]], n: int) -> dict[str, list[float]]:
    """Round-robin over `calls`, so load from elsewhere on the machine hits all alike."""
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(n):
        for name, call in calls.items():
            started = time.perf_counter()
            call()
            samples[name].append(time.perf_counter() - started)
    return samples


def _bare(python: str) -> Callable[[], object]:
    def call() -> None:
        done = subprocess.run([python, "-c", CODE], capture_output=True, check=True)
        assert done.stdout == b"hi\n"

    return call


def _tool(runner: Runner) -> Callable[[], object]:
    def call() -> None:
        result = runner.run_python(CODE)
        assert result["stdout"] == "hi\n", result

    return call


def _with_ratio(samples: list[float], baseline: dict[str, float]) -> dict[str, float]:
    summary = summary_ms(samples)
    summary["ratio_p50"] = round(summary["p50_ms"] / baseline["p50_ms"], 2)
    summary["ratio_p95"] = round(summary["p95_ms"] / baseline["p95_ms"], 2)
    return summary


def _throughput(call: Callable[[], object], callers: int, total: int) -> float:
    with ThreadPoolExecutor(max_workers=callers) as pool:
        started = time.perf_counter()
        for future in [pool.submit(call) for _ in range(total)]:
            future.result()
        return total / (time.perf_counter() - started)


def _mcp_samples(runner: Runner, n: int) -> list[float]:
    import anyio
    from mcp import Client

    from code_runner.mcp_server import create_mcp_server

    async def main() -> list[float]:
        samples = []
        async with Client(create_mcp_server(runner)) as client:
            for _ in range(n + 5):
                await anyio.to_thread.run_sync(runner.pool.wait_filled, 10.0)
                started = time.perf_counter()
                result = await client.call_tool("run_python", {"code": CODE})
                samples.append(time.perf_counter() - started)
                assert result.structured_content and result.structured_content["stdout"] == "hi\n"
        return samples[5:]

    return anyio.run(main)


def run(n: int = 100) -> dict[str, Any]:
    base = SandboxSettings(_env_file=None)  # type: ignore[call-arg]
    cold = Runner(base.model_copy(update={"warm_pool": 0})).start()
    warm = Runner(base).start()
    try:
        python = getattr(cold.backend, "python", sys.executable)
        bare_call, cold_call, warm_call = _bare(python), _tool(cold), _tool(warm)
        for call in (bare_call, cold_call, warm_call):
            _timed(call, 5)  # warm-up: page cache, imports

        def settled_warm_call() -> None:  # a learner's runs are seconds apart: pool is full
            warm.pool.wait_filled(10)

        samples = _interleaved(
            {"bare": bare_call, "cold": cold_call, "settle": settled_warm_call, "warm": warm_call},
            n,
        )
        bare = summary_ms(samples["bare"])
        report: dict[str, Any] = {
            "interpreter": python,
            "cpus": os.cpu_count(),
            "n": n,
            "isolation": f"{warm.backend.name}; {warm.backend.limits_note()}",
            "bare_python": bare,
            "tool_cold": _with_ratio(samples["cold"], bare),
            "tool_warm": _with_ratio(samples["warm"], bare),
            "tool_back_to_back": _with_ratio(_timed(warm_call, n), bare),
            "mcp_tool_warm": _with_ratio(_mcp_samples(warm, n), bare),
        }
        callers = 2 * base.concurrency
        total = max(n, 4 * callers)
        bare_rate = _throughput(bare_call, base.concurrency, total)
        tool_rate = _throughput(warm_call, callers, total)
        report["throughput"] = {
            "sandbox_concurrency": base.concurrency,
            "callers": callers,
            "runs": total,
            "bare_runs_per_s": round(bare_rate, 1),
            "tool_runs_per_s": round(tool_rate, 1),
            "ratio": round(tool_rate / bare_rate, 2),
        }
        return report
    finally:
        cold.close()
        warm.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="samples per latency figure")
    args = parser.parse_args()
    json.dump(run(args.n), sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
