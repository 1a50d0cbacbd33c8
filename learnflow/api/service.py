"""`create_service_app`: the FastAPI app every LearnFlow service starts from.

It adds `/healthz`, the problem handlers and the request guard (`learnflow.api.guard`): when daprd
is configured with an app API token, a check that every call to an internal route really comes
from our sidecar; a body limit counted on the bytes received; 422 for text that cannot be
stored; problem statuses in a header for mesh callers (so they never trip a circuit breaker).
Routes in `public_routers` are the edge API: they skip the token check and authenticate the
caller themselves (JWT). Every request is served under its W3C trace (`learnflow.api.tracing`),
and the process logs JSON lines carrying it (`learnflow.logs`).

The app's one `Settings` is `app.state.settings` from creation on; routes and dependencies get it
through `learnflow.api.deps.SettingsDep`, never from the process environment.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from learnflow.api.docs import install_offline_docs, is_docs_path
from learnflow.api.guard import RequestGuard
from learnflow.api.problems import install_problem_handlers
from learnflow.api.tracing import TraceMiddleware
from learnflow.logs import configure_logging, secret_values
from learnflow.settings import Settings, get_settings
from learnflow.sidecar import Sidecar

OPEN_PATHS = frozenset({"/healthz", "/docs", "/openapi.json"})


def create_service_app(
    app_id: str,
    *,
    routers: Sequence[APIRouter] = (),
    public_routers: Sequence[APIRouter] = (),
    on_startup: Sequence[Callable[[FastAPI], Awaitable[None]]] = (),
    on_shutdown: Sequence[Callable[[FastAPI], Awaitable[None]]] = (),
    settings: Settings | None = None,
) -> FastAPI:
    settings = settings or get_settings()  # an entry point (`app = create_app()`) reads them once

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.sidecar = Sidecar(settings)
        try:
            for hook in on_startup:
                await hook(app)
            yield
        finally:
            for hook in reversed(on_shutdown):
                await hook(app)
            await app.state.sidecar.aclose()

    configure_logging(app_id, settings.log_format, secrets=secret_values(settings))
    # the docs pages come from learnflow.api.docs (local assets), not FastAPI's CDN links
    app = FastAPI(title=f"LearnFlow {app_id}", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    install_offline_docs(app)
    public_patterns = tuple(
        route.path_regex
        for router in public_routers
        for route in router.routes
        if isinstance(route, APIRoute)
    )

    def is_open(path: str) -> bool:
        return (
            path in OPEN_PATHS or is_docs_path(path) or any(p.match(path) for p in public_patterns)
        )

    token = settings.app_api_token
    app.add_middleware(
        RequestGuard,
        max_body_bytes=settings.max_body_bytes,
        app_token=token.get_secret_value() if token else None,
        is_open=is_open,
    )
    # outermost: the guard's refusals and the problem handlers' lines carry the trace too
    app.add_middleware(TraceMiddleware)
    install_problem_handlers(app)

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "app_id": app_id}

    for router in (*routers, *public_routers):
        app.include_router(router)
    return app
