"""Hosting Dapr actors in a LearnFlow app, with `dapr-ext-fastapi`'s `DaprActor`.

daprd learns an app's actor types from `GET /dapr/config` (read once, when the app's port opens)
and calls an actor at `PUT /actors/<type>/<id>/method/<name>` (timers, reminders and
deactivation beside it); `DaprActor` mounts those routes (`mount_actor_routes`). They are
internal: the request guard lets only the app's own daprd in (it sends the app API token on
every call), they stay out of the API docs, and the mesh policy denies them to service
invocation (`learnflow.mesh.policy.DENIED_OPERATIONS`).

Two things differ from the SDK's defaults, and why:

- the SDK's own `/healthz` route is dropped: the app's (`create_service_app`) is the one daprd
  probes, and two routes of one path would both be in the API docs;
- the actors' own calls to daprd (their state, timers, reminders) go through the app's `Sidecar`
  (`SidecarActorClient`) instead of the SDK's HTTP client, which blocks the start-up for up to
  60 s waiting for a daprd that is itself waiting for the app's port, and reads daprd's address
  and token from environment variables of its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from dapr.actor import Actor, ActorRuntime
from dapr.clients.base import DaprActorClientBase
from dapr.clients.exceptions import DaprInternalError
from dapr.ext.fastapi import DaprActor
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from learnflow.errors import LearnFlowError
from learnflow.sidecar import Sidecar

ACTOR_TAG = "dapr-actors"


class _ActorRoutes(DaprActor):
    """`DaprActor`'s routes without its /healthz, hidden from the API docs (edited before
    `DaprActor` includes them in the app)."""

    def init_routes(self, router: APIRouter) -> None:
        super().init_routes(router)
        router.routes[:] = [
            route
            for route in router.routes
            if not (isinstance(route, APIRoute) and route.path == "/healthz")
        ]
        for route in router.routes:
            if isinstance(route, APIRoute):
                route.include_in_schema = False


def mount_actor_routes(app: FastAPI) -> None:
    """Mount the routes daprd calls actors through. Call it where the app's routes are built
    (they must exist before the app serves); the actor types are registered at start-up
    (`actor_host`)."""
    _ActorRoutes(app, router_tags=[ACTOR_TAG])


def actor_host(*actor_types: type[Actor]) -> Callable[[FastAPI], Awaitable[None]]:
    """A start-up hook registering `actor_types` with the (process-wide) actor runtime, their
    calls to daprd going through the app's sidecar. Registering a type again replaces it."""

    async def register(app: FastAPI) -> None:
        client = SidecarActorClient(lambda: app.state.sidecar)
        for actor_type in actor_types:
            await ActorRuntime.register_actor(actor_type, actor_client=client)

    return register


class SidecarActorClient(DaprActorClientBase):
    """The actors' calls to daprd (`DaprActorClientBase`), made by the app's `Sidecar`.

    `sidecar` is looked up at each call (the app's sidecar is created by its lifespan, and
    tests replace it). Failures are `DaprInternalError`: that is what makes the SDK drop an
    actor's cached state after a failed save, instead of believing it was saved."""

    def __init__(self, sidecar: Callable[[], Sidecar]) -> None:
        self._sidecar = sidecar

    async def _call(
        self, http_method: str, actor_type: str, actor_id: str, tail: str, data: bytes | None
    ) -> bytes:
        what = f"actor {actor_type}/{actor_id}: {http_method} {tail}"
        try:
            return await self._sidecar().actor_request(
                what, http_method, actor_type, actor_id, tail, data
            )
        except LearnFlowError as exc:
            raise DaprInternalError(exc.message, error_code=exc.code) from exc

    async def invoke_method(
        self, actor_type: str, actor_id: str, method: str, data: bytes | None = None
    ) -> bytes:
        return await self._call("PUT", actor_type, actor_id, f"method/{method}", data)

    async def save_state_transactionally(self, actor_type: str, actor_id: str, data: bytes) -> None:
        await self._call("PUT", actor_type, actor_id, "state", data)

    async def get_state(self, actor_type: str, actor_id: str, name: str) -> bytes:
        return await self._call("GET", actor_type, actor_id, f"state/{name}", None)

    async def register_reminder(
        self, actor_type: str, actor_id: str, name: str, data: bytes
    ) -> None:
        await self._call("PUT", actor_type, actor_id, f"reminders/{name}", data)

    async def unregister_reminder(self, actor_type: str, actor_id: str, name: str) -> None:
        await self._call("DELETE", actor_type, actor_id, f"reminders/{name}", None)

    async def register_timer(self, actor_type: str, actor_id: str, name: str, data: bytes) -> None:
        await self._call("PUT", actor_type, actor_id, f"timers/{name}", data)

    async def unregister_timer(self, actor_type: str, actor_id: str, name: str) -> None:
        await self._call("DELETE", actor_type, actor_id, f"timers/{name}", None)
