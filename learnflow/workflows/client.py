"""Starting, reading and signalling workflow instances from a web app (async).

Wraps the SDK's async `DaprWorkflowClient` (gRPC to this app's own daprd) with what the routes
need: an idempotent start, reads that ride out the engine's transient read race, and errors
mapped to LearnFlow's (`NotFound`, `DependencyFailed`) with a message that says what to do.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import grpc  # type: ignore[import-untyped]
from dapr.ext.workflow.aio import DaprWorkflowClient
from pydantic import BaseModel

from learnflow.errors import Busy, DependencyFailed, NotFound
from learnflow.settings import Settings

# daprd reads an instance's metadata and then its keys without a transaction; a read that races
# a save can miss a key that the save just replaced. It is transient: read again.
TRANSIENT_READ = "missing from state store"
NO_INSTANCE = "no such instance exists"
READ_ATTEMPTS = 6
CALL_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Instance:
    """A workflow instance as the engine reports it."""

    instance_id: str
    name: str
    runtime_status: str  # RUNNING, COMPLETED, FAILED, TERMINATED, PENDING, SUSPENDED, ...
    created_at: datetime | None
    last_updated_at: datetime | None
    custom_status: Any
    output: Any
    failure: str | None

    @property
    def running(self) -> bool:
        return self.runtime_status in ("RUNNING", "PENDING", "SUSPENDED")


def _json(raw: str | None) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def instance_from_state(state: Any) -> Instance:
    failure = state.failure_details
    return Instance(
        instance_id=state.instance_id,
        name=state.name,
        runtime_status=state.runtime_status.name,
        created_at=state.created_at,
        last_updated_at=state.last_updated_at,
        custom_status=_json(state.serialized_custom_status),
        output=_json(state.serialized_output),
        failure=None if failure is None else f"{failure.error_type}: {failure.message}",
    )


def _unavailable(exc: grpc.RpcError, what: str) -> DependencyFailed:
    return DependencyFailed(
        f"{what}: the workflow engine in this app's Dapr sidecar did not answer "
        f"({exc.code().name}: {(exc.details() or '')[:200]}); retry shortly",
        dependency="daprd-workflows",
    )


class WorkflowClient:
    """One per app process; close it on shutdown."""

    def __init__(self, settings: Settings) -> None:
        self._client = DaprWorkflowClient(host="127.0.0.1", port=str(settings.dapr_grpc_port))

    async def get(self, instance_id: str) -> Instance | None:
        for attempt in range(READ_ATTEMPTS):
            try:
                async with asyncio.timeout(CALL_TIMEOUT_S):
                    state = await self._client.get_workflow_state(instance_id)
            except grpc.aio.AioRpcError as exc:
                if TRANSIENT_READ in (exc.details() or "") and attempt + 1 < READ_ATTEMPTS:
                    await asyncio.sleep(0.01 * (attempt + 1))
                    continue
                raise _unavailable(exc, f"reading {instance_id}") from exc
            except TimeoutError as exc:
                raise Busy(
                    f"reading {instance_id}: the workflow engine is busy or still starting",
                    retry_after_s=2,
                ) from exc
            return None if state is None else instance_from_state(state)
        raise AssertionError("unreachable")  # pragma: no cover

    async def start(self, workflow: str, instance_id: str, payload: BaseModel) -> bool:
        """Start `instance_id` unless it exists (in any state); True if this call started it.
        `payload` is the workflow's input model (`SessionState`, `PublishInput`, ...)."""
        if await self.get(instance_id) is not None:
            return False
        try:
            async with asyncio.timeout(CALL_TIMEOUT_S):
                await self._client.schedule_new_workflow(
                    workflow, input=payload.model_dump(mode="json"), instance_id=instance_id
                )
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.ALREADY_EXISTS:
                return False  # a concurrent start won
            raise _unavailable(exc, f"starting {instance_id}") from exc
        except TimeoutError as exc:
            raise Busy(
                "the workflow engine is not accepting work yet (is the app's workflow worker "
                "connected?); retry shortly",
                retry_after_s=2,
            ) from exc
        return True

    async def raise_event(self, instance_id: str, name: str, event: BaseModel) -> None:
        """Raise `name` on the instance with `event` (e.g. a `SessionEvent`) as its data."""
        data = event.model_dump(mode="json")
        if not data:
            raise ValueError("event data must not be empty (the SDK drops empty payloads)")
        try:
            async with asyncio.timeout(CALL_TIMEOUT_S):
                await self._client.raise_workflow_event(instance_id, name, data=data)
        except grpc.aio.AioRpcError as exc:
            if NO_INSTANCE in (exc.details() or ""):
                raise NotFound(f"no workflow instance {instance_id}") from exc
            raise _unavailable(exc, f"sending {name} to {instance_id}") from exc
        except TimeoutError as exc:
            raise Busy(
                f"sending {name} to {instance_id}: the workflow engine did not answer in time",
                retry_after_s=2,
            ) from exc

    async def close(self) -> None:
        # the SDK's async client has no close(); its transport (which has) is name-mangled
        transport = getattr(self._client, "_DaprWorkflowClient__obj", None)
        if transport is not None:
            await transport.aclose()
