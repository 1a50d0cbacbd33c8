"""`learnflow ask "<message>" [--exercise ID] [--code FILE] [--llm offline|local|URL]`.

One learner message through the same triage classifier (with the model's opinion on a
low-confidence message when a model is configured, `learnflow.intent_fallback`) and specialist
code as the mesh, in this
process (no daprd, Kafka or PostgreSQL): triage's own replies for off-topic and unsafe messages,
the concepts agent for concept questions, the tutor service for exercises, hints, errors and
code (grading runs in the real sandbox, `code_runner.sandbox`, when code and an exercise are
given), and debrief for progress questions (which, with no logged-in learner here, answers as
it does for an anonymous caller). Prints JSON `{"agent", "intent", "reply", "sources", "model"}`.

`--llm` picks the model: `offline` (the built-in one), `local` (the local model server that
`make up LLM=local` runs, or the one at `LEARNFLOW_LLM_LOCAL_BASE_URL`; retrieve-then-write, as
the mesh runs it), or the base URL of any OpenAI-compatible endpoint. Without it, the configured
model is used (`LEARNFLOW_LLM_BASE_URL`, else offline).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from learnflow.contracts import SpecialistReply
from learnflow.errors import ConfigurationError, InvalidInput
from learnflow.intent_fallback import classify_with_fallback
from learnflow.mesh.model_server import SMOLLM2
from learnflow.mesh.topology import topology
from learnflow.settings import Settings, get_settings
from learnflow.testing import FakeSidecar, sandbox_runner


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "ask",
        help="one message through triage and the specialist agents in-process; prints JSON "
        '{"agent", "intent", "reply", "sources", "model"}',
    )
    parser.add_argument("message", nargs="+", help="the learner's message, e.g. \"I'm stuck\"")
    parser.add_argument("--exercise", metavar="ID", help="the exercise open in the editor")
    parser.add_argument("--code", metavar="FILE", type=Path, help="the learner's code")
    parser.add_argument(
        "--llm",
        metavar="offline|local|URL",
        help="the model: the built-in offline one, the local model server, or an "
        "OpenAI-compatible base URL (default: as configured)",
    )
    parser.set_defaults(func=run_ask)


def settings_for(llm: str | None, settings: Settings) -> Settings:
    """The settings `--llm` asks for, from the configured `settings` (a `ConfigurationError` says
    what to set)."""
    if llm is None:
        return settings
    if llm == "offline":
        return settings.model_copy(update={"llm_base_url": None})
    if llm == "local":
        base_url = settings.llm_local_base_url or _running_local_server(settings)
        if base_url is None:
            port = topology(settings).model_server_port
            raise ConfigurationError(
                f"--llm local needs the local model server, and none answers on port {port}: "
                "start it with `make up LLM=local`, or set LEARNFLOW_LLM_LOCAL_BASE_URL to an "
                "OpenAI-compatible base URL (e.g. http://127.0.0.1:8080/v1)"
            )
        return settings.model_copy(
            update={
                "llm_base_url": base_url,
                "llm_model": SMOLLM2.alias,
                "llm_tool_calls": False,  # a 135M model cannot drive tools: retrieve-then-write
                "llm_through_sidecar": False,
            }
        )
    if llm.startswith(("http://", "https://")):
        return settings.model_copy(update={"llm_base_url": llm})
    raise InvalidInput(f"--llm must be offline, local or an http(s) URL, not {llm!r}")


def _running_local_server(settings: Settings) -> str | None:
    """The base URL of this stack's local model server (`make up LLM=local`) if it answers."""
    base_url = f"http://127.0.0.1:{topology(settings).model_server_port}/v1"
    try:
        answered = httpx.get(f"{base_url}/models", timeout=2.0).status_code == 200
    except httpx.HTTPError:
        answered = False
    return base_url if answered else None


#: The agents built so far, per (agent, model settings): an agent is configuration (tools,
#: instructions, model, guardrails), not conversation state, so messages share it the way a
#: running service does — building one costs tens of milliseconds per message otherwise.
_agents: dict[tuple[str, str], Any] = {}


def _agent(name: str, settings: Settings, build: Callable[[], Any]) -> Any:
    key = (name, settings.model_dump_json())
    found = _agents.get(key)
    if found is None:
        found = _agents[key] = build()
    return found


async def ask(
    message: str,
    *,
    exercise_id: str | None = None,
    code: str | None = None,
    settings: Settings,
) -> dict[str, Any]:
    """Route and answer one message in-process, with `settings`' model; the JSON `learnflow ask`
    prints."""
    if not message.strip():
        raise InvalidInput("the message is empty; say what you want to ask")
    decision = await classify_with_fallback(
        message, has_code=True if code else None, settings=settings
    )
    intent = decision.intent.value
    code = code or decision.code
    if decision.agent == "triage":
        own = importlib.import_module("triage_agent.offtopic")
        answer = SpecialistReply(reply=own.own_reply(intent))
    elif decision.agent == "concepts":
        concepts: Any = importlib.import_module("concepts_agent.agent")
        agent = _agent(
            "concepts", settings, lambda: concepts.build_concepts_agent(settings=settings)
        )
        found = await concepts.explain(agent, message, code=code, settings=settings)
        answer = SpecialistReply(reply=found.answer, sources=list(found.sources), model=found.model)
    elif decision.agent == "tutor":
        answer = await _tutor(message, intent, exercise_id, code, settings)
    else:
        debrief: Any = importlib.import_module("debrief_agent.api.routes.respond")
        answer = SpecialistReply(reply=debrief.NOT_SIGNED_IN)
    return {
        "agent": decision.agent,
        "intent": intent,
        "reply": answer.reply,
        "sources": answer.sources,
        "model": answer.model,  # who wrote it, as the services say; None: a fixed message
    }


async def _tutor(
    message: str, intent: str, exercise_id: str | None, code: str | None, settings: Settings
) -> SpecialistReply:
    agent_module: Any = importlib.import_module("tutor_agent.agent")
    service: Any = importlib.import_module("tutor_agent.service")
    models: Any = importlib.import_module("tutor_agent.models")
    exercises: Any = importlib.import_module("tutor_agent.exercises")
    mesh = FakeSidecar(runner=sandbox_runner, where="without the mesh")
    tutor = service.TutorService(
        mesh,
        exercises.default_catalog(),
        _agent("tutor", settings, lambda: agent_module.build_tutor_agent(settings=settings)),
        offline=settings.uses_offline_model,
        events=mesh,
        leak_check_timeout_s=settings.tutor_leak_check_timeout_s,
        settings=settings,
    )
    request = models.TutorRequest(
        message=message,
        session_id=f"ask-{uuid.uuid4()}",
        message_id="m1",
        intent=intent,
        code=code,
        exercise_id=exercise_id,
    )
    reply: SpecialistReply = await tutor.respond(request)
    return reply


def run_ask(args: argparse.Namespace) -> int:
    code = None
    if args.code is not None:
        try:
            code = args.code.read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidInput(f"cannot read --code {args.code}: {exc.strerror}") from exc
    settings = settings_for(args.llm, get_settings())  # the command reads them once
    result = asyncio.run(
        ask(" ".join(args.message), exercise_id=args.exercise, code=code, settings=settings)
    )
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0
