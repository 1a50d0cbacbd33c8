"""Dependency aliases of the debrief app's routes (the pool's, `PoolDep`, is the shared one of
`learnflow.api.deps`)."""

from __future__ import annotations

from typing import Annotated

from agents import Agent
from fastapi import Depends, Header, Request

from debrief_agent.access import Caller, caller_from_headers
from debrief_agent.agent import DebriefContext


def _agent(request: Request) -> Agent[DebriefContext]:
    agent: Agent[DebriefContext] = request.app.state.agent
    return agent


def _caller(
    x_learnflow_user: Annotated[str | None, Header(include_in_schema=False)] = None,
    x_learnflow_role: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Caller:
    return caller_from_headers(x_learnflow_user, x_learnflow_role)


AgentDep = Annotated[Agent[DebriefContext], Depends(_agent)]
CallerDep = Annotated[Caller, Depends(_caller)]
