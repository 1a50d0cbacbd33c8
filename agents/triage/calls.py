"""The one way triage's routes call another app (tutor, debrief, code-runner) through Dapr, and
the one place their failures become answers to the caller:

- the app answered a 4xx (bad input, not allowed, not found, conflict): the caller gets that
  4xx with the app's message — it says what to fix;
- the app is down — daprd could not reach it, its circuit breaker is open, or it did not answer
  within the invoke timeout (daprd's 5xx, or our own timeout): 503 + Retry-After with a plain
  message naming what is unavailable and what was not done (`degraded.unavailable`); daprd's
  internals go to the log, not to the learner;
- the app answered 503/424 itself (its database, or an app it needs, is down): its own plain
  message and Retry-After, unchanged (`learnflow.sidecar` restores them as `Unavailable`); our
  own sidecar being away is `Unavailable` too;
- daprd refused the call itself (403: access control) is a configuration fault, not an outage:
  it stays a 502 naming the app.

`POST /chat` is the exception by design: it answers a degraded reply rather than an error
(`routes/chat.py`)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from learnflow.errors import (
    Conflict,
    DependencyFailed,
    InvalidInput,
    LearnFlowError,
    NotAllowed,
    NotFound,
    Unavailable,
)
from learnflow.sidecar import Sidecar, UpstreamRejected
from triage_agent.degraded import unavailable

log = logging.getLogger("triage.calls")

_PASSED_ON: dict[int, type[LearnFlowError]] = {
    400: InvalidInput,
    403: NotAllowed,
    404: NotFound,
    409: Conflict,
    422: InvalidInput,
}


def _default_doing(http_method: str) -> str:
    return "this could not be loaded" if http_method == "GET" else "nothing was changed"


async def call_app(
    sidecar: Sidecar,
    app_id: str,
    method: str,
    *,
    http_method: str = "POST",
    json_body: Any = None,
    headers: Mapping[str, str] | None = None,
    doing: str | None = None,
) -> Any:
    """Invoke `method` on `app_id` and return its JSON answer; failures as the module says.
    `doing` completes "… is unavailable right now, so <doing>" ("your quiz was not started")."""
    try:
        return await sidecar.invoke(
            app_id, method, http_method=http_method, json_body=json_body, headers=headers
        )
    except UpstreamRejected as exc:
        if exc.status_code == 401:  # triage forwarded no principal: our fault, not theirs
            raise DependencyFailed(
                f"{app_id} refused {method} (HTTP 401): {exc.message}", dependency=app_id
            ) from exc
        error = _PASSED_ON.get(exc.status_code)
        if error is None:
            raise  # another 4xx (413, 429 …) keeps its status and message
        raise error(exc.message) from exc
    except Unavailable:
        raise
    except DependencyFailed as exc:
        if exc.dependency != app_id:
            raise
        status = exc.details.get("upstream_status")
        if status == 404:  # daprd's "no such method" for an app that is up
            _, _, said = exc.message.partition("HTTP 404: ")
            raise NotFound(said or "Not found") from exc
        if status is None or status >= 500:  # unreachable, breaker open, or timed out
            log.warning("%s is unavailable: %s", app_id, exc.message)
            raise unavailable(app_id, doing or _default_doing(http_method)) from exc
        raise
