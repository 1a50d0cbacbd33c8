"""`create_service_app`: the FastAPI app every LearnFlow service starts from.

It adds `/healthz`, the problem handlers, a request-size limit and — when daprd is configured
with an app API token — a check that every call to an internal route really comes from our
sidecar. Routes in `public_routers` are the edge API: they skip that check and authenticate the
caller themselves (JWT).

Service invocations of internal routes (another app calling through daprd, which marks them
with `dapr-caller-app-id`) answer a 4xx (the caller's mistake, a busy limit, a dependency that
is down: `FailedDependency`) as HTTP 200 with the real status in `x-learnflow-status`, which
`learnflow.sidecar.Sidecar.invoke` restores. daprd's own calls (`/dapr/subscribe`, pub/sub
deliveries, health probes) keep their real status. Dapr's circuit breakers count every
non-2xx answer of an app as a failure of that app: without this, five learners in a row sending
code too large to grade would open the tutor's breaker for everyone, and a code runner that is
down would open the (healthy) tutor's.
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.routing import APIRoute
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from learnflow.api.problems import install_problem_handlers, problem
from learnflow.settings import Settings, get_settings
from learnflow.sidecar import Sidecar

OPEN_PATHS = frozenset({"/healthz", "/docs", "/openapi.json"})
STATUS_HEADER = "x-learnflow-status"
CALLER_HEADER = "dapr-caller-app-id"  # daprd sets it on service invocation only


class _GuardMiddleware(BaseHTTPMiddleware):
    def __init__(
        self, app: Any, settings: Settings, public_patterns: tuple[re.Pattern[str], ...]
    ) -> None:
        super().__init__(app)
        self.settings = settings
        self.public_patterns = public_patterns
        token = settings.app_api_token
        self.token = token.get_secret_value().encode() if token else None

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        internal = self.token is not None and not self._is_open(request.url.path)
        if internal:
            sent = request.headers.get("dapr-api-token", "").encode()
            if not hmac.compare_digest(sent, self.token or b""):
                return problem(
                    401,
                    "not_authenticated",
                    "this app only accepts calls through its Dapr sidecar "
                    "(missing or wrong dapr-api-token)",
                )
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self.settings.max_body_bytes:
            return problem(
                413,
                "payload_too_large",
                f"the request body is {int(length)} bytes; the limit is "
                f"{self.settings.max_body_bytes} bytes",
            )
        response = await call_next(request)
        invoked = internal and CALLER_HEADER in request.headers
        if invoked and 400 <= response.status_code < 500:  # see the module's doc
            response.headers[STATUS_HEADER] = str(response.status_code)
            response.status_code = 200
        return response

    def _is_open(self, path: str) -> bool:
        return path in OPEN_PATHS or any(p.match(path) for p in self.public_patterns)


def create_service_app(
    app_id: str,
    *,
    routers: Sequence[APIRouter] = (),
    public_routers: Sequence[APIRouter] = (),
    on_startup: Sequence[Callable[[FastAPI], Awaitable[None]]] = (),
    on_shutdown: Sequence[Callable[[FastAPI], Awaitable[None]]] = (),
    settings: Settings | None = None,
) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.sidecar = Sidecar(settings)
        try:
            for hook in on_startup:
                await hook(app)
            yield
        finally:
            for hook in reversed(on_shutdown):
                await hook(app)
            await app.state.sidecar.aclose()

    logging.basicConfig(
        level=logging.INFO, format=f"%(asctime)s {app_id} %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is noise
    app = FastAPI(title=f"LearnFlow {app_id}", lifespan=lifespan)
    public_patterns = tuple(
        route.path_regex
        for router in public_routers
        for route in router.routes
        if isinstance(route, APIRoute)
    )
    app.add_middleware(_GuardMiddleware, settings=settings, public_patterns=public_patterns)
    install_problem_handlers(app)

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "app_id": app_id}

    for router in (*routers, *public_routers):
        app.include_router(router)
    return app
