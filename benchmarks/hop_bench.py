"""Where one invocation hop's added cost goes: the same hop under one change at a time.

`python -m benchmarks hop` brings up a stack of its own (`LEARNFLOW_BENCH_PORT_OFFSET`, run dir
`.run/bench-hop`) and measures, for each variant, concepts' POST /respond through triage's and
concepts' daprds against the same request straight to the concepts app's port, one call of each
in turn (order swapped every call). A variant changes one thing and restarts only triage's and
concepts' daprds and the concepts app; variants run in `ROUNDS` alternating rounds so each sees
the machine's load at several times. The figure per variant is the added p50 (via − direct),
which cancels what both sides share (the app's own work, the client, the machine's load), the
median of the paired differences (via − direct of the calls made side by side), and — the figure
that a busy machine does not blur — the CPU time the two daprds spent per hop (utime + stime from
/proc, over the measured calls) and the concepts app's CPU per call (it serves both sides).

`LEARNFLOW_BENCH_HOP_VARIANTS=a,b` runs only those (and `current`).
Variants (each against `current`, the stack as `learnflow up` runs it):
- `no_daprd_metrics`: `spec.metric.enabled: false` in both sidecars' Configuration;
- `low_cardinality_metrics`: metrics on, `spec.metric.http.increasedCardinality: false` (Dapr
  1.18 still defaults to true: a metric series per path);
- `no_invoke_retry`: the caller's resiliency target for concepts without its retry policy
  (Dapr buffers a request body it may have to replay);
- `asyncio_h11`: the concepts app under uvicorn's pure-Python loop and HTTP parser instead of
  uvloop + httptools (what `--loop auto --http auto` picks when both are installed).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import yaml

from benchmarks.stacks import clean_stack, running
from benchmarks.stats import interleaved, summary_ms
from learnflow.mesh import services
from learnflow.mesh.processes import group_members
from learnflow.mesh.stack import Stack
from learnflow.mesh.toolchain import ensure_toolchain
from learnflow.settings import REPO_ROOT

N = 200
WARMUP = 10  # untimed calls a side first (mesh_bench's warm-up)
ROUNDS = 2
APPS = ("triage", "concepts")
CPU_OF = ("triage-dapr", "concepts-dapr", "concepts")

Edit = Callable[[Stack], None]
TICK_S = 1 / os.sysconf("SC_CLK_TCK")


def _cpu_s(stack: Stack, name: str) -> float:
    """CPU seconds (user + system) used so far by a recorded process and its group."""
    record = stack.table.get(name)
    if record is None:
        return 0.0
    total = 0
    for pid in group_members(record.pid):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total * TICK_S


def _edit_yaml(path: Any, change: Callable[[dict[str, Any]], None]) -> None:
    doc = yaml.safe_load(path.read_text())
    change(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def _metrics(enabled: bool, increased_cardinality: bool | None = None) -> Edit:
    metric: dict[str, Any] = {"enabled": enabled}
    if increased_cardinality is not None:
        metric["http"] = {"increasedCardinality": increased_cardinality}

    def edit(stack: Stack) -> None:
        for app in APPS:
            path = stack.run_dir / "components" / services.app_config_name(app)
            _edit_yaml(path, lambda d: d["spec"].__setitem__("metric", dict(metric)))

    return edit


def _retry(on: bool) -> Edit:
    def edit(stack: Stack) -> None:
        def change(doc: dict[str, Any]) -> None:
            target = doc["spec"]["targets"]["apps"]["concepts"]
            if on:
                target["retry"] = "invokeRetry"
            else:
                target.pop("retry", None)

        _edit_yaml(stack.run_dir / "components" / "resiliency.yaml", change)

    return edit


def _restart(stack: Stack, app_args: list[str]) -> None:
    """Stop triage's and concepts' daprds and the concepts app; start them with today's files."""
    run_secrets = services.RunSecrets.load_or_create(stack.run_dir)
    tools = ensure_toolchain(stack.settings.cache_dir, lambda m: None)
    resources = stack.run_dir / "components"
    names = ["triage-dapr", "concepts-dapr", "concepts"]
    for name in names:
        record = stack.table.get(name)
        if record is not None:
            stack.table.stop(record, grace_s=5)
    concepts = stack.topo.app("concepts")
    stack.table.start(
        "concepts",
        services.app_command(concepts) + app_args,
        env=stack.app_env(concepts, run_secrets),
        cwd=REPO_ROOT,
    )
    for app in APPS:
        spec = stack.topo.app(app)
        stack.table.start(
            f"{app}-dapr",
            services.daprd_command(spec, stack.topo, tools, resources),
            env=stack.sidecar_env(spec, run_secrets, stack.trust()),
            cwd=stack.run_dir,
        )
    stack._wait(names, stack._checks(run_secrets), 120)


VARIANTS: dict[str, tuple[list[Edit], list[str]]] = {
    "current": ([_metrics(True), _retry(True)], []),
    "no_daprd_metrics": ([_metrics(False), _retry(True)], []),
    "low_cardinality_metrics": ([_metrics(True, False), _retry(True)], []),
    "no_invoke_retry": ([_metrics(True), _retry(False)], []),
    "asyncio_h11": ([_metrics(True), _retry(True)], ["--loop", "asyncio", "--http", "h11"]),
}


async def _measure(stack: Stack) -> tuple[list[float], list[float]]:
    run_secrets = services.RunSecrets.load_or_create(stack.run_dir)
    triage, concepts = stack.topo.app("triage"), stack.topo.app("concepts")
    dapr = {"dapr-api-token": run_secrets.dapr_token("triage")}
    app_token = {"dapr-api-token": run_secrets.app_token("concepts")}
    respond = {"message": "hi", "session_id": "bench", "message_id": "m", "intent": "x"}
    via = f"http://127.0.0.1:{triage.dapr_http_port}/v1.0/invoke/concepts/method/respond"
    direct = f"http://127.0.0.1:{concepts.app_port}/respond"
    async with httpx.AsyncClient(timeout=30) as client:

        async def hop() -> None:
            (await client.post(via, json=respond, headers=dapr)).raise_for_status()

        async def hop_direct() -> None:
            (await client.post(direct, json=respond, headers=app_token)).raise_for_status()

        return await interleaved(hop, hop_direct, N, warmup=WARMUP)


def _figures(stack: Stack) -> dict[str, Any]:
    chosen = os.environ.get("LEARNFLOW_BENCH_HOP_VARIANTS", "")
    variants = {
        n: v for n, v in VARIANTS.items() if not chosen or n == "current" or n in chosen.split(",")
    }
    samples: dict[str, tuple[list[float], list[float], list[float]]] = {
        name: ([], [], []) for name in variants
    }
    cpu = {name: dict.fromkeys(CPU_OF, 0.0) for name in variants}
    for round_no in range(ROUNDS):
        for name, (edits, app_args) in variants.items():
            for edit in edits:
                edit(stack)
            _restart(stack, app_args)
            before = {n: _cpu_s(stack, n) for n in CPU_OF}
            via, direct = asyncio.run(_measure(stack))
            load = os.getloadavg()[0]
            for n in CPU_OF:
                cpu[name][n] += _cpu_s(stack, n) - before[n]
            samples[name][0].extend(via)
            samples[name][1].extend(direct)
            samples[name][2].append(load)
            paired = sorted(a - b for a, b in zip(via, direct, strict=True))
            daprd_ms = sum(cpu[name][n] for n in CPU_OF[:2]) / max(1, len(samples[name][0]))
            print(
                f"[bench-hop] round {round_no + 1} {name}: paired added p50"
                f" {paired[len(paired) // 2] * 1000:.2f} ms, daprd CPU so far"
                f" {daprd_ms * 1000:.3f} ms/hop (load {load:.2f})",
                file=sys.stderr,
                flush=True,
            )
    out: dict[str, Any] = {}
    for name, (via, direct, loads) in samples.items():
        v, d = summary_ms(via), summary_ms(direct)
        paired = sorted(a - b for a, b in zip(via, direct, strict=True))
        hops = max(1, len(via))
        out[name] = {
            "via_sidecars": v,
            "direct": d,
            "added_ms_p50": round(v["p50_ms"] - d["p50_ms"], 3),
            "paired_added_ms_p50": round(paired[len(paired) // 2] * 1000, 3) if paired else None,
            "daprd_cpu_ms_per_hop": round(
                (cpu[name]["triage-dapr"] + cpu[name]["concepts-dapr"]) / hops * 1000, 3
            ),
            "app_cpu_ms_per_call": round(cpu[name]["concepts"] / (2 * hops) * 1000, 3),
            "load_average_1m": [round(x, 2) for x in loads],
        }
    base = out["current"]
    for name in variants:
        for key in ("paired_added_ms_p50", "daprd_cpu_ms_per_hop", "app_cpu_ms_per_call"):
            out[name][f"{key}_vs_current"] = round(out[name][key] - base[key], 3)
    return out


def run() -> dict[str, Any]:
    stack = clean_stack("bench-hop", default_offset=2000, label="bench-hop")
    began = time.perf_counter()
    with running(stack):
        figures = _figures(stack)
    figures["seconds"] = round(time.perf_counter() - began, 1)
    return figures
