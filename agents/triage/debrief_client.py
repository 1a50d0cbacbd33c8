"""Calls from triage's public routes to the debrief app, carrying the verified principal.

Triage is the edge: it verifies the caller's JWT (`learnflow.auth.deps.CurrentUser`) and forwards
who it is to debrief in two headers, `x-learnflow-user` and `x-learnflow-role`, over Dapr service
invocation. Only triage sets them, always from a verified token (a client's own headers are
never passed on). Debrief trusts them because its routes accept only calls that come through its
Dapr sidecar (app API token), i.e. from inside the mesh; it then checks relationships itself
(own data, teacher of the class). See agents/debrief/README.md.
"""

from __future__ import annotations

from typing import Any

from learnflow.auth.tokens import Principal
from learnflow.sidecar import Sidecar
from triage_agent.calls import call_app

DEBRIEF = "debrief"
USER_HEADER = "x-learnflow-user"  # the same names as debrief_agent.access
ROLE_HEADER = "x-learnflow-role"


def principal_headers(principal: Principal) -> dict[str, str]:
    return {USER_HEADER: str(principal.user_id), ROLE_HEADER: principal.role.value}


async def ask_debrief(
    sidecar: Sidecar,
    principal: Principal,
    method: str,
    *,
    http_method: str = "GET",
    json_body: Any = None,
    doing: str | None = None,
) -> Any:
    """Invoke `method` on debrief as `principal`; its 4xx answers reach the caller with their
    own status and message, and debrief being down is a 503 that says so (`triage_agent.calls`)."""
    return await call_app(
        sidecar,
        DEBRIEF,
        method,
        http_method=http_method,
        json_body=json_body,
        headers=principal_headers(principal),
        doing=doing,
    )
