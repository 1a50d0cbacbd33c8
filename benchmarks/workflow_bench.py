"""Durable sessions under load, on a real stack of its own (port offset 3200, .run/bench-wf).

For each level (100, 1,000, then 5,000 live sessions, added cumulatively) the benchmark:
1. starts the new sessions through the public API (`POST /sessions` via triage's sidecar, 32 at a
   time): sessions started per second;
2. drives every live session with one heartbeat every `INTERVAL_S` seconds for `LIVE_S` seconds
   (open loop, each session on its own phase), and meanwhile measures event-to-visible-status
   latency on dedicated probe sessions that get the same cadence: the time from sending an event
   (`POST /sessions/{id}/events`) until `GET /sessions/{id}` shows it;
3. reads the resident memory (VmRSS from /proc, summed over each process group) of every app
   and every daprd, and of the scheduler and placement.

A phase keeps up when ≥ 90 % of the offered events are acknowledged and the probes' p95 stays
under 5 s. When one does not, the backlog is drained and the same sessions run again at the rate
this machine sustained (`at_capacity`: one event per session every N seconds), and bigger levels
skip the 5-second cadence they cannot meet. A level that would start after the time budget is
skipped; each skip says why.

`LEARNFLOW_BENCH_WF_RATES=10,25,50` runs the short form instead (`rates`), which compares the
two event paths in one stack and one time window: a group of sessions started while triage ran
with `LEARNFLOW_WORKFLOW_LIVE_SESSIONS=false` (every learner event is a `raise_workflow_event`)
and a group started after triage was restarted with it on (events fold into the `session_live`
projection; learnflow.workflows.live). A session keeps the path it started with, so both groups
run side by side on the same processes; for each offered rate, one
`LEARNFLOW_BENCH_WF_LIVE_S`-second phase (default 15) per path, alternating, the backlog drained
between phases. `LEARNFLOW_BENCH_PORT_OFFSET` moves the stack (default 3200).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import random
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg

from benchmarks.stacks import clean_stack, running
from benchmarks.stats import summary_ms
from learnflow.auth.tokens import issue_token
from learnflow.db.models import Role
from learnflow.mesh import services
from learnflow.mesh.processes import group_members
from learnflow.mesh.stack import Stack
from learnflow.settings import Settings

LEVELS = (100, 1000, 5000)
INTERVAL_S = 5.0
LIVE_S = 30.0
PROBES = 20
STUDENTS = 50
START_CONCURRENCY = 32
EVENT_CONCURRENCY = 128
TIME_BUDGET_S = 900.0
KEEPS_UP_P95_S = 5.0


@dataclass
class Live:
    session_id: str
    token: str
    events: int = 0


@dataclass
class Load:
    window_end: float = 0.0
    acked: int = 0
    acked_in_window: int = 0
    errors: int = 0
    post_s: list[float] = field(default_factory=list)
    visible_s: list[float] = field(default_factory=list)


def _rss_mb(pgid: int) -> float:
    total_kb = 0
    for pid in group_members(pgid):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except OSError:
            continue
    return round(total_kb / 1024, 1)


def memory(stack: Stack) -> dict[str, float]:
    names = [s.app_id for s in stack.topo.apps] + [f"{s.app_id}-dapr" for s in stack.topo.apps]
    out: dict[str, float] = {}
    for name in [*names, "scheduler", "placement"]:
        record = stack.table.get(name)
        if record is not None and record.alive():
            out[name] = _rss_mb(record.pid)
    return out


class Bench:
    def __init__(self, stack: Stack, run_secrets: services.RunSecrets) -> None:
        self.stack = stack
        self.secrets = run_secrets
        triage = stack.topo.app("triage")
        self.base = f"http://127.0.0.1:{triage.dapr_http_port}/v1.0/invoke/triage/method"
        self.client = httpx.AsyncClient(
            timeout=120, limits=httpx.Limits(max_connections=EVENT_CONCURRENCY + 16)
        )
        self.tokens = self._students()
        self.sessions: list[Live] = []
        self.probes: list[Live] = []
        self.idle: dict[str, float] = {}

    def _students(self) -> list[str]:
        conninfo = services.app_conninfo(self.stack.topo, self.secrets)
        jwt = Settings(jwt_secret=self.secrets.jwt_secret)
        tokens = []
        with psycopg.connect(conninfo) as conn:
            for n in range(STUDENTS):
                (user_id,) = conn.execute(
                    "insert into users (email, display_name, role, password_hash)"
                    " values (%s, %s, 'student', 'x') returning id",
                    (f"bench-{n}-{uuid.uuid4().hex[:6]}@bench.learnflow.dev", f"Bench {n}"),
                ).fetchone()  # type: ignore[misc]
                tokens.append(issue_token(user_id=user_id, role=Role.STUDENT, settings=jwt))
        return tokens

    def _headers(self, token: str) -> dict[str, str]:
        return {
            "dapr-api-token": self.secrets.dapr_token("triage"),
            "authorization": f"Bearer {token}",
        }

    async def start_sessions(self, count: int) -> tuple[list[Live], float, int]:
        gate = asyncio.Semaphore(START_CONCURRENCY)
        started: list[Live] = []
        failures = 0

        async def one(n: int) -> None:
            nonlocal failures
            token = self.tokens[n % len(self.tokens)]
            async with gate:
                r = await self.client.post(
                    f"{self.base}/sessions",
                    json={"mode": "practice", "topic": "control-flow"},
                    headers=self._headers(token),
                )
            if r.status_code == 201:
                started.append(Live(r.json()["session_id"], token))
            else:
                failures += 1

        began = time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(count)))
        return started, len(started) / (time.perf_counter() - began), failures

    async def _send(self, live: Live, gate: asyncio.Semaphore, load: Load) -> bool:
        body = {"kind": "heartbeat", "exercise_id": "control-flow.fizzbuzz"}
        async with gate:
            sent = time.perf_counter()
            try:
                r = await self.client.post(
                    f"{self.base}/sessions/{live.session_id}/events",
                    json=body,
                    headers=self._headers(live.token),
                )
            except httpx.HTTPError:
                load.errors += 1
                return False
        if r.status_code != 202:
            load.errors += 1
            return False
        done = time.perf_counter()
        load.post_s.append(done - sent)
        load.acked += 1
        load.acked_in_window += int(done <= load.window_end)
        live.events += 1
        return True

    async def _visible(self, live: Live) -> None:
        while True:
            r = await self.client.get(
                f"{self.base}/sessions/{live.session_id}", headers=self._headers(live.token)
            )
            if r.status_code == 200 and (r.json().get("status") or {}).get("events", 0) >= (
                live.events
            ):
                return
            await asyncio.sleep(0.02)

    async def live_phase(self, interval_s: float) -> Load:
        end = time.perf_counter() + LIVE_S
        load, probe_load = Load(window_end=end), Load(window_end=end)
        gate = asyncio.Semaphore(EVENT_CONCURRENCY)
        probe_interval = min(interval_s, INTERVAL_S)  # enough latency samples at any rate

        async def pause(tick: float, every: float) -> None:
            now = time.perf_counter()
            await asyncio.sleep(max(0.0, min(every - (now - tick), end - now)))

        async def drive(live: Live) -> None:
            await asyncio.sleep(random.uniform(0, interval_s))
            while time.perf_counter() < end:
                tick = time.perf_counter()
                await self._send(live, gate, load)
                await pause(tick, interval_s)

        async def probe(live: Live) -> None:
            await asyncio.sleep(random.uniform(0, probe_interval))
            while time.perf_counter() < end:
                tick = time.perf_counter()
                if await self._send(live, gate, probe_load):
                    try:
                        await asyncio.wait_for(self._visible(live), timeout=120)
                        probe_load.visible_s.append(time.perf_counter() - tick)
                    except TimeoutError:
                        probe_load.errors += 1
                await pause(tick, probe_interval)

        await asyncio.gather(*(drive(s) for s in self.sessions), *(probe(p) for p in self.probes))
        load.acked += probe_load.acked
        load.acked_in_window += probe_load.acked_in_window
        load.errors += probe_load.errors
        load.post_s += probe_load.post_s
        load.visible_s = probe_load.visible_s
        return load

    async def drain(self) -> float:
        """Wait until the probes' statuses show every event sent (the backlog is worked off)."""
        began = time.perf_counter()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                asyncio.gather(*(self._visible(p) for p in self.probes)), timeout=300
            )
        return round(time.perf_counter() - began, 1)

    def _phase(self, load: Load, interval_s: float) -> dict[str, Any]:
        offered_per_s = len(self.sessions) / interval_s + len(self.probes) / min(
            interval_s, INTERVAL_S
        )
        acked_per_s = load.acked_in_window / LIVE_S
        visible = summary_ms(load.visible_s)
        keeps_up = acked_per_s >= 0.9 * offered_per_s and visible["p95_ms"] < KEEPS_UP_P95_S * 1000
        return {
            "interval_s": round(interval_s, 1),
            "offered_per_s": round(offered_per_s, 1),
            "acknowledged_per_s": round(acked_per_s, 1),
            "errors": load.errors,
            "post_event_latency": summary_ms(load.post_s),
            "event_to_visible_status": visible,
            "keeps_up": keeps_up,
        }

    async def level(self, target: int, capacity: float | None) -> dict[str, Any]:
        new = target - len(self.sessions) - len(self.probes)
        started, per_s, failures = await self.start_sessions(new)
        if not self.probes:
            self.probes, started = started[:PROBES], started[PROBES:]
        self.sessions += started
        live = len(self.sessions) + len(self.probes)
        result: dict[str, Any] = {
            "live_sessions": live,
            "started": {"new": new, "per_s": round(per_s, 1), "failed": failures},
        }
        if capacity is None or live * 1.0 / INTERVAL_S <= capacity:
            nominal = self._phase(await self.live_phase(INTERVAL_S), INTERVAL_S)
            result["every_5s"] = nominal
            if nominal["keeps_up"]:
                result["rss_mb"] = memory(self.stack)
                return result
            result["drained_backlog_in_s"] = await self.drain()
            capacity = nominal["acknowledged_per_s"]
        else:
            result["every_5s"] = {"skipped": f"above the measured capacity ({capacity}/s)"}
        # the same sessions at the event rate this machine sustained: one event every N s each
        interval = max(INTERVAL_S, live / (0.8 * capacity))
        result["at_capacity"] = self._phase(await self.live_phase(interval), interval)
        result["drained_backlog_in_s_after"] = await self.drain()
        result["rss_mb"] = memory(self.stack)
        return result

    def _restart_triage(self, *, live_sessions: bool) -> None:
        self.stack.app_settings["LEARNFLOW_WORKFLOW_LIVE_SESSIONS"] = str(live_sessions).lower()
        self.stack.stop_app("triage")
        self.stack.start_app("triage")

    async def _group(
        self, sessions: int, *, live_sessions: bool
    ) -> tuple[list[Live], dict[str, Any]]:
        await asyncio.to_thread(self._restart_triage, live_sessions=live_sessions)
        started, per_s, failures = await self.start_sessions(sessions)
        return started, {"per_s": round(per_s, 1), "failed": failures}

    async def rates(self, rates: list[float], sessions: int = 100) -> dict[str, Any]:
        """Both event paths at each offered rate (events/s over one group's sessions).

        Each session sends at most one event every `INTERVAL_S`, so the highest rate needs
        rate × INTERVAL_S sessions per group: that many are started (at least `sessions`)."""
        began = time.perf_counter()
        sessions = max(sessions, math.ceil(max(rates) * INTERVAL_S))
        groups: dict[str, list[Live]] = {}
        starts: dict[str, dict[str, Any]] = {}
        try:
            for path, live_sessions in (("workflow_event", False), ("live_projection", True)):
                print(f"[bench-wf] starting {sessions} sessions ({path})", file=sys.stderr)
                groups[path], starts[path] = await self._group(
                    sessions, live_sessions=live_sessions
                )
            phases: list[dict[str, Any]] = []
            for rate in rates:
                for path, group in groups.items():
                    self.probes, self.sessions = group[:PROBES], group[PROBES:]
                    # probes send every min(interval, 5 s); the rest make up the offered rate
                    probe_rate = len(self.probes) / INTERVAL_S
                    interval = max(INTERVAL_S, len(self.sessions) / max(0.1, rate - probe_rate))
                    print(f"[bench-wf] {rate}/s offered ({path})", file=sys.stderr, flush=True)
                    figures = self._phase(await self.live_phase(interval), interval)
                    figures["load_average_1m"] = round(os.getloadavg()[0], 2)
                    figures["drained_backlog_in_s"] = await self.drain()
                    phases.append({"path": path, "target_per_s": rate, **figures})
        finally:
            await self.client.aclose()
        live = sum(len(g) for g in groups.values())
        rss = memory(self.stack)
        return {
            "live_sessions": live,
            "started": starts,
            "phases": phases,
            "rss_mb": rss,
            # growth over the idle stack (apps, daprds, scheduler, placement; not PostgreSQL)
            "rss_added_per_1000_sessions_mb": round(
                (sum(rss.values()) - sum(self.idle.values())) / max(1, live) * 1000, 1
            ),
            "seconds": round(time.perf_counter() - began, 1),
        }

    async def run(self) -> dict[str, Any]:
        began = time.perf_counter()
        levels: list[dict[str, Any]] = []
        capacity: float | None = None
        try:
            for target in LEVELS:
                if time.perf_counter() - began > TIME_BUDGET_S:
                    levels.append({"live_sessions": target, "skipped": "time budget spent"})
                    break
                print(f"[bench-wf] level {target}", file=sys.stderr, flush=True)
                figures = await self.level(target, capacity)
                levels.append(figures)
                for phase in ("every_5s", "at_capacity"):
                    if "acknowledged_per_s" in figures.get(phase, {}):
                        measured = figures[phase]["acknowledged_per_s"]
                        if not figures[phase]["keeps_up"]:
                            capacity = measured if capacity is None else min(capacity, measured)
        finally:
            await self.client.aclose()
        return {
            "levels": levels,
            "capacity_events_per_s": capacity,
            "seconds": round(time.perf_counter() - began, 1),
        }


def run() -> dict[str, Any]:
    global LIVE_S
    rates = [float(r) for r in os.environ.get("LEARNFLOW_BENCH_WF_RATES", "").split(",") if r]
    if rates:
        LIVE_S = float(os.environ.get("LEARNFLOW_BENCH_WF_LIVE_S", "15"))
    stack = clean_stack("bench-wf", default_offset=3200, label="bench-wf")
    with running(stack) as run_secrets:
        idle = memory(stack)
        bench = Bench(stack, run_secrets)
        bench.idle = idle
        figures = asyncio.run(bench.rates(rates) if rates else bench.run())
        figures["rss_mb_idle"] = idle
        figures["load_average_1m_after"] = round(os.getloadavg()[0], 2)
    figures["notes"] = (
        "all processes share this machine's cores with the load generator; events and status "
        "reads go through triage's daprd (Dapr ingress), as a client's would"
    )
    return figures


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
