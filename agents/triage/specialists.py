"""Calls from triage's public routes to the tutor, with its 4xx answers passed on as such."""

from __future__ import annotations

from typing import Any

from learnflow.errors import Conflict, DependencyFailed, InvalidInput, NotAllowed, NotFound
from learnflow.sidecar import Sidecar, UpstreamRejected

TUTOR = "tutor"


async def ask_tutor(
    sidecar: Sidecar, method: str, *, http_method: str = "POST", json_body: Any = None
) -> Any:
    """Invoke `method` on the tutor; its 403/404/409/422 reach the caller with their message."""
    try:
        return await sidecar.invoke(TUTOR, method, http_method=http_method, json_body=json_body)
    except UpstreamRejected as exc:
        passed_on = {403: NotAllowed, 409: Conflict, 400: InvalidInput, 422: InvalidInput}
        error = passed_on.get(exc.status_code)
        if error is None:
            raise
        raise error(exc.message) from exc
    except DependencyFailed as exc:
        if exc.details.get("upstream_status") == 404 and exc.dependency == TUTOR:
            _, _, said = exc.message.partition("HTTP 404: ")
            raise NotFound(said or "Not found") from exc
        raise
