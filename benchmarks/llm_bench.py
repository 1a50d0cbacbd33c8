"""A real local model behind the agents: SmolLM2-135M, retrieve-then-write, streamed.

The bench starts a model server of its own (`benchmarks.llm_server`: llama.cpp's server with
SmolLM2-135M-Instruct, port `LEARNFLOW_BENCH_LLM_PORT`, default 18090; log in
`.run/bench-llm/model.log`) and stops it at the end. Per concept question (`QUESTIONS`, each
answered from a lesson), streamed, three sides:

- `local`: the concepts agent as `learnflow ask --llm local` builds it (`settings_for("local")`
  pointed at the bench's server: `GroundedModel` over the server's chat model): the offline
  policy searches and reads the lesson, SmolLM2 writes the explanation, the policy's tail
  (worked example, sources, check question) follows. Through `explain_streamed`/`StreamedRun`,
  the path of `POST /respond/stream`.
- `offline`: the same agent code on the offline model, with `offline_stream_pause_s=0`: its
  streaming pace is otherwise artificial (a pause before each phrase), so its first token and
  rate are the agent's own cost, not a model's.
- `raw_server`: one streamed `/v1/chat/completions` request straight to the server with the
  same `Writing` (system prompt, user prompt, max_tokens, temperature) the local side sends, no
  agent: `local` minus `raw_server` is what the agent adds (retrieval, the SDK, the client).

Time to first text (the first delta with a non-space character), total time, and the decode rate:
tokens after the first of the written part (the server's own tokenizer counts them, after the
timed runs; llama.cpp's server streams no usage) over the time from the first to its last delta.
Local answers that carry the offline note (`learnflow.llm.grounded`'s `NOTE_*` and mid-answer
notices) are counted as fallbacks and left out of the rate. The sides alternate per question, the
order swapped every question; the raw request of a step goes with another question than the
agent's beside it, because llama.cpp reuses the longest prompt prefix of its previous request —
no side gets a whole prompt from cache. One untimed pass of everything comes first.

Then `HINTS`: tutor hint requests through `learnflow ask`'s path (`ask()` with the exercise),
local and offline alternating. The tutor holds a reply back until its output guardrail passed
the whole of it, so a learner's first text comes at the end: only the total time is reported.

Target (the issue's seeds): first token under 800 ms. Rounds: `LEARNFLOW_BENCH_LLM_ROUNDS`
(default 3).

    .venv/bin/python -m benchmarks llm
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agents import Agent

from benchmarks.llm_server import own_model_server
from benchmarks.stacks import load_average_1m
from benchmarks.stats import percentile, summary_ms
from concepts_agent.agent import build_concepts_agent, explain, explain_streamed
from concepts_agent.offline_policy import ConceptsOfflinePolicy
from learnflow.cli.commands.ask import ask, settings_for
from learnflow.llm.grounded import (
    NOTE_ERROR,
    NOTE_TIMEOUT,
    NOTE_UNUSABLE,
    STOPPED_MID_ANSWER,
    TEMPERATURE,
    UNUSABLE_AFTER,
    GroundedModel,
)
from learnflow.llm.offline import Answer, CallTool, Transcript
from learnflow.llm.scripted_writer import ScriptedWriter
from learnflow.llm.writing import Writing
from learnflow.retrieval import lesson_index
from learnflow.settings import REPO_ROOT, Settings, get_settings

QUESTIONS: tuple[str, ...] = (
    "What does the return statement do?",
    "What is recursion?",
    "How does a for loop work?",
    "What is a dictionary in Python?",
    "What is the difference between a list and a tuple?",
    "How do I catch an exception with try and except?",
    "What is a class?",
    "How do I read a text file?",
)
#: (message, the exercise open in the editor)
HINTS: tuple[tuple[str, str], ...] = (
    ("can I get a hint?", "control-flow.fizzbuzz"),
    ("I'm stuck, give me a hint", "basics.is-even"),
    ("hint please", "control-flow.is-prime"),
)
FIRST_TOKEN_TARGET_MS = 800
FALLBACK_MARKS = (
    NOTE_TIMEOUT,
    NOTE_ERROR,
    NOTE_UNUSABLE,
    STOPPED_MID_ANSWER.strip(),
    UNUSABLE_AFTER.strip(),
)
SIDES = ("local", "offline", "raw_server")


# --- pure parts ----------------------------------------------------------------------------


@dataclass
class Timed:
    """One streamed answer: when it was asked, each delta with the time it arrived, the end."""

    started: float
    deltas: list[tuple[float, str]] = field(default_factory=list)
    ended: float = 0.0

    @property
    def text(self) -> str:
        return "".join(delta for _, delta in self.deltas)

    @property
    def first_s(self) -> float:
        """Seconds to the first delta with a non-space character (the end when there is none)."""
        shown = [at for at, delta in self.deltas if delta.strip()]
        return (shown[0] if shown else self.ended) - self.started

    @property
    def total_s(self) -> float:
        return self.ended - self.started


def written_part(deltas: list[tuple[float, str]], tail: str) -> list[tuple[float, str]]:
    """The deltas the writer wrote: those that end before `tail` starts, when the text ends with
    it (a grounded answer streams its closing and tail as one last delta); else all of them."""
    text = "".join(delta for _, delta in deltas)
    cut = len(text) - len(tail) if tail and text.endswith(tail) else len(text)
    written: list[tuple[float, str]] = []
    end = 0
    for at, delta in deltas:
        end += len(delta)
        if end > cut:
            break
        written.append((at, delta))
    return written


def decode_rate(deltas: list[tuple[float, str]], units: int) -> float | None:
    """`units` (tokens or deltas) after the first, per second from the first delta to the last;
    None when there are too few to say."""
    if units < 2 or len(deltas) < 2:
        return None
    span = deltas[-1][0] - deltas[0][0]
    return (units - 1) / span if span > 0 else None


def fell_back(text: str) -> bool:
    """The answer carries the grounded model's offline note: the model's text was not used (or
    not all of it)."""
    return any(mark in text for mark in FALLBACK_MARKS)


def chunk_text(line: str) -> str | None:
    """The content of one line of a streamed chat completion (`data: {...}`), else None."""
    if not line.startswith("data:"):
        return None
    data = line[len("data:") :].strip()
    if not data or data == "[DONE]":
        return None
    choices = json.loads(data).get("choices") or []
    if not choices:
        return None
    content = (choices[0].get("delta") or {}).get("content")
    return str(content) if content else None


def rate_summary(rates: list[float]) -> dict[str, float | int | None]:
    if not rates:
        return {"n": 0, "p50": None, "mean": None}
    return {
        "n": len(rates),
        "p50": round(percentile(rates, 50), 1),
        "mean": round(sum(rates) / len(rates), 1),
    }


def ratio(a: float, b: float) -> float | None:
    return round(a / b, 2) if b > 0 else None


# --- the sides -----------------------------------------------------------------------------


async def timed(chunks: AsyncIterator[str]) -> Timed:
    run = Timed(started=time.perf_counter())
    async for delta in chunks:
        run.deltas.append((time.perf_counter(), delta))
    run.ended = time.perf_counter()
    return run


async def raw_stream(
    client: httpx.AsyncClient, base_url: str, model: str, writing: Writing
) -> AsyncIterator[str]:
    """The writer's request as the agent sends it (system + user message), straight to the
    server."""
    body = {
        "model": model,
        "messages": [
            {"role": "system", "content": writing.instructions},
            {"role": "user", "content": writing.prompt},
        ],
        "max_tokens": writing.max_tokens,
        "temperature": TEMPERATURE,
        "stream": True,
    }
    async with client.stream("POST", f"{base_url}/chat/completions", json=body) as response:
        response.raise_for_status()
        async for line in response.aiter_lines():
            text = chunk_text(line)
            if text:
                yield text


class _Recording:
    """The concepts policy, keeping each `Writing` it hands out."""

    def __init__(self, policy: ConceptsOfflinePolicy) -> None:
        self.policy = policy
        self.writings: list[Writing | None] = []

    def next_step(self, transcript: Transcript) -> CallTool | Answer:
        return self.policy.next_step(transcript)

    def writing(self, transcript: Transcript, draft: Answer) -> Writing | None:
        found = self.policy.writing(transcript, draft)
        self.writings.append(found)
        return found


async def writings_of(questions: tuple[str, ...]) -> dict[str, Writing]:
    """What the local side's writer is asked per question (a scripted writer, no server)."""
    policy = _Recording(ConceptsOfflinePolicy(lesson_index()))
    agent = build_concepts_agent(model=GroundedModel(policy, ScriptedWriter("Written.")))
    found: dict[str, Writing] = {}
    for question in questions:
        await explain(agent, question)
        writing = policy.writings[-1] if policy.writings else None
        if writing is None:
            raise RuntimeError(f"no lesson answers {question!r}: the bench needs one that does")
        found[question] = writing
    return found


async def _token_count(client: httpx.AsyncClient, root_url: str, text: str) -> int:
    if not text:
        return 0
    response = await client.post(f"{root_url}/extras/tokenize/count", json={"input": text})
    response.raise_for_status()
    return int(response.json()["count"])


# --- measuring -----------------------------------------------------------------------------


async def _concepts(
    agents: dict[str, Agent[None]],
    writings: dict[str, Writing],
    client: httpx.AsyncClient,
    base_url: str,
    model: str,
    rounds: int,
) -> dict[str, list[tuple[str, Timed]]]:
    def side(name: str, question: str) -> Callable[[], Awaitable[Timed]]:
        if name == "raw_server":
            return lambda: timed(raw_stream(client, base_url, model, writings[question]))
        return lambda: timed(explain_streamed(agents[name], question).text())

    samples: dict[str, list[tuple[str, Timed]]] = {name: [] for name in SIDES}
    n = len(QUESTIONS)
    for round_no in range(rounds + 1):  # round 0: untimed warm-up
        for i, question in enumerate(QUESTIONS):
            other = QUESTIONS[(i + n // 2) % n]  # the raw request's question (module docstring)
            step = [("local", question), ("offline", question), ("raw_server", other)]
            if (round_no + i) % 2:  # each question's order swapped every round
                step.reverse()
            for name, asked in step:
                run = await side(name, asked)()
                if round_no:
                    samples[name].append((asked, run))
        print(f"[llm bench] concepts round {round_no}/{rounds}", file=sys.stderr, flush=True)
    return samples


async def _figures(
    samples: dict[str, list[tuple[str, Timed]]],
    writings: dict[str, Writing],
    client: httpx.AsyncClient,
    root_url: str,
) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for name, runs in samples.items():
        tokens_per_s: list[float] = []
        deltas_per_s: list[float] = []
        fallbacks = 0
        written_tokens: list[int] = []
        for question, run in runs:
            if name == "local" and fell_back(run.text):
                fallbacks += 1
                continue
            tail = writings[question].tail if name == "local" else ""
            written = written_part(run.deltas, tail)
            tokens = await _token_count(client, root_url, "".join(d for _, d in written))
            written_tokens.append(tokens)
            for rates, units in ((tokens_per_s, tokens), (deltas_per_s, len(written))):
                found = decode_rate(written, units)
                if found is not None:
                    rates.append(found)
        figures[name] = {
            "first_token": summary_ms([run.first_s for _, run in runs]),
            "total": summary_ms([run.total_s for _, run in runs]),
            "tokens_per_s": rate_summary(tokens_per_s),
            "deltas_per_s": rate_summary(deltas_per_s),
            "written_tokens_mean": (
                round(sum(written_tokens) / len(written_tokens), 1) if written_tokens else None
            ),
            "fallbacks": fallbacks,
        }
    return figures


async def _hints(local: Settings, offline: Settings, rounds: int) -> dict[str, Any]:
    """The tutor's hints through `ask()`, local and offline alternating (module docstring)."""
    settings = {"local": local, "offline": offline}
    totals: dict[str, list[float]] = {"local": [], "offline": []}
    fallbacks = same = 0
    for round_no in range(rounds + 1):
        for i, (message, exercise) in enumerate(HINTS):
            order = ["local", "offline"]
            if (round_no + i) % 2:
                order.reverse()
            replies: dict[str, str] = {}
            for name in order:
                started = time.perf_counter()
                reply = await ask(message, exercise_id=exercise, settings=settings[name])
                took = time.perf_counter() - started
                replies[name] = str(reply["reply"])
                if round_no:
                    totals[name].append(took)
            if round_no:
                fallbacks += fell_back(replies["local"])
                same += replies["local"] == replies["offline"]
    local_total, offline_total = summary_ms(totals["local"]), summary_ms(totals["offline"])
    return {
        "requests": [f"{exercise}: {message}" for message, exercise in HINTS],
        "local_total": local_total,
        "offline_total": offline_total,
        "ratio_p50": ratio(local_total["p50_ms"], offline_total["p50_ms"]),
        "fallbacks": fallbacks,
        "same_as_offline": same,  # the tutor's policy handed the model nothing to write
    }


async def _measure(base_url: str, model: str, rounds: int) -> dict[str, Any]:
    base = get_settings().model_copy(
        update={"llm_local_base_url": base_url, "offline_stream_pause_s": 0.0}
    )
    local, offline = settings_for("local", base), settings_for("offline", base)
    agents = {
        "local": build_concepts_agent(settings=local),
        "offline": build_concepts_agent(settings=offline),
    }
    writings = await writings_of(QUESTIONS)
    root_url = base_url.removesuffix("/v1")
    async with httpx.AsyncClient(timeout=local.invoke_timeout_s) as client:
        samples = await _concepts(agents, writings, client, base_url, model, rounds)
        figures = await _figures(samples, writings, client, root_url)
    try:
        hints: dict[str, Any] = await _hints(local, offline, rounds)
    except Exception as exc:  # the tutor's path is a bonus figure; the concepts ones stand
        hints = {"error": f"{type(exc).__name__}: {exc}"}
    loc, off, raw = figures["local"], figures["offline"], figures["raw_server"]
    first_p50, first_p95 = loc["first_token"]["p50_ms"], loc["first_token"]["p95_ms"]
    return {
        "questions": len(QUESTIONS),
        "rounds": rounds,
        "concepts": figures,
        "local_vs_offline": {
            "first_token_p50": ratio(first_p50, off["first_token"]["p50_ms"]),
            "first_token_p95": ratio(first_p95, off["first_token"]["p95_ms"]),
            "total_p50": ratio(loc["total"]["p50_ms"], off["total"]["p50_ms"]),
            "total_p95": ratio(loc["total"]["p95_ms"], off["total"]["p95_ms"]),
        },
        "agent_overhead": {
            "first_token_added_ms_p50": round(first_p50 - raw["first_token"]["p50_ms"], 1),
            "total_added_ms_p50": round(loc["total"]["p50_ms"] - raw["total"]["p50_ms"], 1),
            "local_vs_raw_first_token_p50": ratio(first_p50, raw["first_token"]["p50_ms"]),
        },
        "tutor_hints": hints,
        "first_token_target_ms": FIRST_TOKEN_TARGET_MS,
        "meets_first_token_target": {
            "p50": first_p50 < FIRST_TOKEN_TARGET_MS,
            "p95": first_p95 < FIRST_TOKEN_TARGET_MS,
        },
        "offline_note": "offline side streamed with offline_stream_pause_s=0: its pacing is "
        "artificial otherwise, so its first token and rate are the agent's own cost",
    }


def run(rounds: int | None = None) -> dict[str, Any]:
    """The benchmark's figures (what `python -m benchmarks llm` prints)."""
    rounds = rounds or int(os.environ.get("LEARNFLOW_BENCH_LLM_ROUNDS", "3"))
    port = int(os.environ.get("LEARNFLOW_BENCH_LLM_PORT", "18090"))
    settings = get_settings()
    load_before = os.getloadavg()
    started = time.perf_counter()
    with own_model_server(settings.cache_dir, port, REPO_ROOT / ".run" / "bench-llm") as (
        base_url,
        server,
    ):
        ready_s = time.perf_counter() - started
        result = asyncio.run(_measure(base_url, server.alias, rounds))
    result["model"] = server.alias
    result["server_ready_s"] = round(ready_s, 1)
    result["load_average_1m"] = load_average_1m(load_before)
    first = result["concepts"]["local"]["first_token"]
    met = result["meets_first_token_target"]
    print(
        f"[llm bench] local first token p50 {first['p50_ms']:.0f} ms, p95 {first['p95_ms']:.0f} ms:"
        f" target < {FIRST_TOKEN_TARGET_MS} ms {'met' if met['p50'] else 'NOT met'} at p50, "
        f"{'met' if met['p95'] else 'NOT met'} at p95",
        file=sys.stderr,
    )
    return result


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
