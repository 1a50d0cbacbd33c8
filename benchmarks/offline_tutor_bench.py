"""The offline path per message: one learner message through triage and the specialist, in-process.

What is timed, per message, with the built-in offline model (no LLM configured):
- `ask`: `learnflow ask`'s code path (`learnflow.cli.commands.ask.ask`): the triage classifier
  (rules + the embedding classifier), then the concepts agent (search, abstain or read the
  lesson, compose) or the tutor (error explanation, hints with the open exercise, guardrail).
  Target (issue 9): p95 under 300 ms.
- `core` (the baseline, same run, same messages, interleaved with `ask`): only the model work
  under it, `classify(message)` plus `lesson_index().search(message)` — so `ratio_*` is what the
  agent loop, the tools and composing the reply cost on top of classifying and retrieving.

The one-off start-up (loading the embedding model, embedding the lesson sections, training the
triage classifier, importing the agents) is reported separately as `cold_start_s`: a service
pays it once at start, not per message.

    .venv/bin/python benchmarks/offline_tutor_bench.py [--rounds 10]   # prints one JSON object
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.stats import summary_ms
from learnflow.cli.commands.ask import ask
from learnflow.intents import classify
from learnflow.retrieval import lesson_index
from learnflow.settings import get_settings

#: (message, exercise id, code): the kinds of message learners send, in the issue's examples.
MESSAGES: tuple[tuple[str, str | None, str | None], ...] = (
    ("What does the return statement do?", None, None),
    ("What is recursion?", None, None),
    ("how do I loop over two lists at the same time", None, None),
    ("what is a decorator", None, None),
    (
        'Traceback (most recent call last):\n  File "main.py", line 2, in <module>\n'
        '    print("Age: " + age)\nTypeError: can only concatenate str (not "int") to str',
        None,
        'age = 7\nprint("Age: " + age)\n',
    ),
    ("I keep getting IndexError", None, None),
    ("just give me the answer to the word count exercise", None, None),
    ("set me something on recursion", None, None),
    ("what's the weather like today", None, None),
)


async def _interleaved(
    calls: dict[str, Callable[[str, str | None, str | None], Awaitable[object]]], rounds: int
) -> dict[str, list[float]]:
    """Each message through each call in turn, `rounds` times: load from elsewhere on the
    machine hits both sides alike."""
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for message, exercise_id, code in MESSAGES:
            for name, call in calls.items():
                started = time.perf_counter()
                await call(message, exercise_id, code)
                samples[name].append(time.perf_counter() - started)
    return samples


async def _measure(rounds: int) -> dict[str, Any]:
    settings = get_settings().model_copy(update={"llm_base_url": None})

    async def full(message: str, exercise_id: str | None, code: str | None) -> object:
        return await ask(message, exercise_id=exercise_id, code=code, settings=settings)

    async def core(message: str, exercise_id: str | None, code: str | None) -> object:
        return classify(message, has_code=True if code else None), lesson_index().search(message)

    started = time.perf_counter()
    for message, exercise_id, code in MESSAGES:  # loads, embeds, trains and imports once
        await full(message, exercise_id, code)
    cold = time.perf_counter() - started
    samples = await _interleaved({"ask": full, "core": core}, rounds)
    baseline = summary_ms(samples["core"])
    result = summary_ms(samples["ask"])
    result["ratio_p50"] = round(result["p50_ms"] / baseline["p50_ms"], 2)
    result["ratio_p95"] = round(result["p95_ms"] / baseline["p95_ms"], 2)
    return {
        "messages": len(MESSAGES),
        "rounds": rounds,
        "cold_start_s": round(cold, 2),
        "ask": result,
        "core_baseline": baseline,
        "target_p95_ms": 300,
        "meets_target": result["p95_ms"] < 300,
    }


def run(rounds: int = 10) -> dict[str, Any]:
    """The benchmark's figures (what `python -m benchmarks offline_tutor` prints)."""
    return asyncio.run(_measure(rounds))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="passes over the messages")
    args = parser.parse_args()
    print(json.dumps(run(args.rounds), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
