"""Dependency aliases so route signatures stay short."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from learnflow.db.pool import Pool
from learnflow.llm.provider import model_label
from learnflow.outbox import EventSink
from learnflow.settings import Settings
from learnflow.sidecar import Sidecar


def _sidecar(request: Request) -> Sidecar:
    sidecar: Sidecar = request.app.state.sidecar
    return sidecar


def pool_of(request: Request) -> Pool:
    """The app's connection pool (`app.state.pool`, opened at start-up); also for code that is
    not a route, such as a pub/sub handler, which gets the request but no dependencies."""
    pool: Pool = request.app.state.pool
    return pool


def optional_pool_of(request: Request) -> Pool | None:
    """The pool, or None in an app started without its database (triage's chat keeps working)."""
    pool: Pool | None = getattr(request.app.state, "pool", None)
    return pool


def _events(request: Request) -> EventSink:
    """The app's outbox (`learnflow.outbox.outbox_hooks` sets it at start-up)."""
    events: EventSink = request.app.state.events
    return events


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _model_label(request: Request) -> str:
    """Who writes the app's agent replies: "offline" or the configured model's name. One place
    for every reply that carries it (`SpecialistReply.model`, `StreamedReply.model`), so a
    learner is told the same author whether the reply came whole or streamed."""
    return model_label(_settings(request))


SidecarDep = Annotated[Sidecar, Depends(_sidecar)]
PoolDep = Annotated[Pool, Depends(pool_of)]
OptionalPoolDep = Annotated[Pool | None, Depends(optional_pool_of)]
SettingsDep = Annotated[Settings, Depends(_settings)]
EventsDep = Annotated[EventSink, Depends(_events)]
ModelLabelDep = Annotated[str, Depends(_model_label)]
