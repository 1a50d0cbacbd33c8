"""`learnflow explain "<question>"`: ask the concepts agent; print `{"answer", "sources"}` as JSON.

It runs the concepts service's own agent code (`concepts_agent.agent`) in this process: the
built-in offline model unless an OpenAI-compatible endpoint is configured
(`LEARNFLOW_LLM_BASE_URL`), or always with `--offline`.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
from typing import Any, Protocol, cast

from learnflow.errors import ConfigurationError
from learnflow.settings import Settings, get_settings

CONCEPTS_MODULE = "concepts_agent.agent"


class ConceptAnswer(Protocol):
    @property
    def answer(self) -> str: ...

    @property
    def sources(self) -> tuple[str, ...]: ...


class ConceptsAgentModule(Protocol):
    """What this command uses of `concepts_agent.agent` (a service package, loaded at run time)."""

    def build_concepts_agent(
        self, *, offline: bool = False, settings: Settings | None = None
    ) -> Any: ...

    async def explain(self, agent: Any, question: str) -> ConceptAnswer: ...


def concepts_agent_module() -> ConceptsAgentModule:
    """`concepts_agent.agent`, or a `ConfigurationError` saying how to install it."""
    try:
        module = importlib.import_module(CONCEPTS_MODULE)
    except ModuleNotFoundError as exc:
        raise ConfigurationError(
            f"the concepts agent ({CONCEPTS_MODULE}) is not installed in this environment: "
            "install LearnFlow from the repository root with `pip install -e .`"
        ) from exc
    return cast(ConceptsAgentModule, module)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "explain",
        help="explain a Python concept from the lessons (the concepts agent); prints JSON "
        '{"answer", "sources"}',
    )
    parser.add_argument(
        "question", nargs="+", help='the question, e.g. "How do for loops work in Python?"'
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        help="use the built-in offline model even when an LLM endpoint is configured",
    )
    parser.set_defaults(func=run_explain)


def run_explain(args: argparse.Namespace) -> int:
    question = " ".join(args.question)
    concepts = concepts_agent_module()
    settings = None if args.offline else get_settings()  # the offline model needs none
    agent = concepts.build_concepts_agent(offline=args.offline, settings=settings)
    answer = asyncio.run(concepts.explain(agent, question))
    result = {"answer": answer.answer, "sources": list(answer.sources)}
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0
