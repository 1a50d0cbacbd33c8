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
from learnflow.errors import (
    Conflict,
    DependencyFailed,
    InvalidInput,
    LearnFlowError,
    NotAllowed,
    NotFound,
)
from learnflow.sidecar import Sidecar, UpstreamRejected

DEBRIEF = "debrief"
USER_HEADER = "x-learnflow-user"  # the same names as debrief_agent.access
ROLE_HEADER = "x-learnflow-role"
_PASSED_ON: dict[int, type[LearnFlowError]] = {
    400: InvalidInput,
    403: NotAllowed,
    404: NotFound,
    409: Conflict,
    422: InvalidInput,
}


def principal_headers(principal: Principal) -> dict[str, str]:
    return {USER_HEADER: str(principal.user_id), ROLE_HEADER: principal.role.value}


async def ask_debrief(
    sidecar: Sidecar,
    principal: Principal,
    method: str,
    *,
    http_method: str = "GET",
    json_body: Any = None,
) -> Any:
    """Invoke `method` on debrief as `principal`; its 403/404/409/422 answers reach the caller
    with their own status and message."""
    try:
        return await sidecar.invoke(
            DEBRIEF,
            method,
            http_method=http_method,
            json_body=json_body,
            headers=principal_headers(principal),
        )
    except UpstreamRejected as exc:
        error = _PASSED_ON.get(exc.status_code)
        if error is None:  # 401 would mean triage forwarded no principal: our fault, not theirs
            raise DependencyFailed(
                f"debrief refused {method} (HTTP {exc.status_code}): {exc.message}",
                dependency=DEBRIEF,
            ) from exc
        raise error(exc.message) from exc
    except DependencyFailed as exc:
        # Sidecar.invoke reports an app's 404 as a failed dependency; a 404 of debrief's is a
        # missing class, student or alert, which the caller should see as such.
        if exc.details.get("upstream_status") == 404 and exc.dependency == DEBRIEF:
            _, _, said = exc.message.partition("HTTP 404: ")
            raise NotFound(said or "Not found") from exc
        raise
