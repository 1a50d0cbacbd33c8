"""Calls from triage's public routes to the tutor (failures answered as `calls` says)."""

from __future__ import annotations

from typing import Any

from learnflow.sidecar import Sidecar
from triage_agent.calls import call_app

TUTOR = "tutor"


async def ask_tutor(
    sidecar: Sidecar,
    method: str,
    *,
    http_method: str = "POST",
    json_body: Any = None,
    doing: str | None = None,
) -> Any:
    """Invoke `method` on the tutor; its 4xx reach the caller with their message, and the tutor
    being down is a 503 that says so (`doing`: what was not done)."""
    return await call_app(
        sidecar, TUTOR, method, http_method=http_method, json_body=json_body, doing=doing
    )
