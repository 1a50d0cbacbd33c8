"""Dependency aliases for the concepts routes."""

from __future__ import annotations

from typing import Annotated

from agents import Agent
from fastapi import Depends, Request

from concepts_agent.agent import build_concepts_agent


def _agent(request: Request) -> Agent[None]:
    """The app's concepts agent (built at start-up; built here if the lifespan did not run)."""
    state = request.app.state
    agent: Agent[None] | None = getattr(state, "concepts_agent", None)
    if agent is None:
        agent = build_concepts_agent(settings=state.settings)
        state.concepts_agent = agent
    return agent


ConceptsAgentDep = Annotated[Agent[None], Depends(_agent)]
