"""Dependency aliases so route signatures stay short."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from learnflow.outbox import EventSink
from learnflow.settings import Settings
from learnflow.sidecar import Sidecar


def _sidecar(request: Request) -> Sidecar:
    sidecar: Sidecar = request.app.state.sidecar
    return sidecar


def _events(request: Request) -> EventSink:
    """The app's outbox (`learnflow.outbox.outbox_hooks` sets it at start-up)."""
    events: EventSink = request.app.state.events
    return events


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SidecarDep = Annotated[Sidecar, Depends(_sidecar)]
SettingsDep = Annotated[Settings, Depends(_settings)]
EventsDep = Annotated[EventSink, Depends(_events)]
