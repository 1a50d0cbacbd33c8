"""`make chaos`: a longer, randomised chaos run on a stack of its own, bounded in time.

    python -m tests.chaos.randomised [--minutes 10] [--seed N] [--learners 3]

Its stack runs in `.run/chaos-long` on LEARNFLOW_CHAOS_PORT_OFFSET (default: 20 above the
drills' stack, so both can run at once).

Learners chat, submit and run code the whole time. Round after round, one process of the mesh
(chosen at random: infrastructure, control plane, an app or a sidecar) is SIGKILLed; some are
kept down for a random outage first (Kafka up to a minute, the control plane and the database
a few seconds), then released to the watchdog. After each round the run waits until the process
is back and every learner's events are published and applied, and checks that every answer was
acceptable (normal, degraded naming what was down, or 503 + Retry-After) and that every grade a
learner saw was applied, exactly once, and none invented. It prints what it killed and what it
checked, one line a round, and a summary; the exit status is 1 if any check failed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from dataclasses import dataclass, field
from functools import partial

import httpx

from tests.chaos.harness import Chaos, Learner, chaos_offset, grade_problems, until

TARGETS = (
    "kafka",
    "postgres",
    "placement",
    "scheduler",
    *(app for app in ("triage", "concepts", "tutor", "debrief", "code-runner")),
    *(f"{app}-dapr" for app in ("triage", "concepts", "tutor", "debrief", "code-runner")),
)
# processes a round may keep down (held) before the watchdog gets them back, and how long
OUTAGES_S = {"kafka": (5, 60), "postgres": (1, 8), "placement": (1, 10), "scheduler": (1, 10)}


@dataclass
class Round:
    killed: str
    held_s: float
    recovery_s: float = 0.0
    saw: dict[str, int] = field(default_factory=dict)
    published: int = 0
    applied: int = 0
    failures: list[str] = field(default_factory=list)

    def line(self) -> str:
        verdict = "ok" if not self.failures else "FAILED: " + "; ".join(self.failures)
        held = f", kept down {self.held_s:.0f} s" if self.held_s else ""
        return (
            f"killed {self.killed}{held}: back and converged in {self.recovery_s:.1f} s; "
            f"published {self.published} / applied {self.applied}; learners saw {self.saw}; "
            f"{verdict}"
        )


async def one_round(
    chaos: Chaos,
    learners: list[Learner],
    target: str,
    rng: random.Random,
    totals: dict[str, tuple[int, int]],
) -> Round:
    low, high = OUTAGES_S.get(target, (0, 0))
    held_s = rng.uniform(low, high) if high and rng.random() < 0.5 else 0.0
    result = Round(target, held_s)
    since = time.monotonic()
    if held_s:
        chaos.stack.hold(target)
    killed = chaos.kill(target)
    try:
        await asyncio.sleep(held_s)  # the outage itself
    finally:
        chaos.stack.release(target)
    await chaos.restarted(target, killed, timeout_s=180)
    await chaos.healthy(timeout_s=180)
    for learner in learners:  # this round's events: the ledger's growth since the last round
        ledger = await chaos.converged(learner.person.id, timeout_s=180)
        counts = ledger.summary()
        published, applied = totals.get(str(learner.person.id), (0, 0))
        result.published += counts["published"] - published
        result.applied += counts["applied"] - applied
        totals[str(learner.person.id)] = (counts["published"], counts["applied"])
    result.recovery_s = time.monotonic() - since - held_s
    for learner in learners:
        for answer in learner.answers:
            if answer.at >= since and not answer.acceptable:
                result.failures.append(f"{answer.kind} answered {answer.status}: {answer.body}")
        seen = learner.saw(since)
        for key, count in seen.items():
            result.saw[key] = result.saw.get(key, 0) + count
        result.failures += [
            f"learner {learner.person.id}: {problem}" for problem in grade_problems(chaos, learner)
        ]
    return result


async def run(minutes: float, seed: int, n_learners: int) -> int:
    rng = random.Random(seed)
    print(f"chaos: seed {seed}, {minutes:g} min, {n_learners} learners", flush=True)
    offset = int(os.environ.get("LEARNFLOW_CHAOS_PORT_OFFSET", chaos_offset() + 20))
    chaos = await asyncio.to_thread(partial(Chaos.start, "chaos-long", offset=offset))
    rounds: list[Round] = []
    learners: list[Learner] = []
    totals: dict[str, tuple[int, int]] = {}
    deadline = time.monotonic() + minutes * 60
    try:
        async with httpx.AsyncClient(timeout=90) as http:
            learners += [Learner(chaos, http, chaos.classroom()[1]) for _ in range(n_learners)]
            stop = asyncio.Event()
            working = [asyncio.create_task(learner.work(stop)) for learner in learners]
            try:
                await until(
                    lambda: all(a.answers for a in learners),
                    60,
                    "the learners to start",
                    chaos,
                )
                while time.monotonic() < deadline:
                    target = rng.choice(TARGETS)
                    try:
                        done = await one_round(chaos, learners, target, rng, totals)
                    except AssertionError as exc:
                        done = Round(target, 0.0, failures=[str(exc)])
                        await asyncio.to_thread(chaos.stack.up)  # repair, go on
                    rounds.append(done)
                    print(f"[{len(rounds):>3}] {done.line()}", flush=True)
                    await asyncio.sleep(rng.uniform(2, 8))  # normal work between outages
            finally:
                stop.set()
                await asyncio.gather(*working)
    finally:
        await asyncio.to_thread(chaos.stop)
    failed = [r for r in rounds if r.failures]
    print(
        f"chaos: {len(rounds)} kills, {len(failed)} failed; "
        f"longest recovery {max((r.recovery_s for r in rounds), default=0):.1f} s; "
        f"events published {sum(r.published for r in rounds)}, "
        f"applied {sum(r.applied for r in rounds)}, "
        f"grades acknowledged {sum(len(learner.graded) for learner in learners)}",
        flush=True,
    )
    return 1 if failed or not rounds else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="how long to keep killing")
    parser.add_argument("--seed", type=int, default=None, help="repeat a run (default: random)")
    parser.add_argument("--learners", type=int, default=3)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 30)
    return asyncio.run(run(args.minutes, seed, args.learners))


if __name__ == "__main__":
    sys.exit(main())
