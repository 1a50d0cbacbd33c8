"""Operating workflow instances: list, inspect, history, terminate, purge (synchronous, CLI).

Listing and history use daprd's `ListInstanceIDs` and `GetInstanceHistory` gRPC calls, which the
1.18 SDK's client does not wrap yet; they are called through the SDK's generated stubs (the SDK
is pinned to the runtime, see pyproject.toml).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import grpc  # type: ignore[import-untyped]
from dapr.ext.workflow import DaprWorkflowClient
from dapr.ext.workflow._durabletask.internal import orchestrator_service_pb2_grpc as stubs
from dapr.ext.workflow._durabletask.internal import protos as pb
from google.protobuf import json_format  # type: ignore[import-untyped]

from learnflow.errors import Conflict, DependencyFailed, NotFound
from learnflow.workflows.client import NO_INSTANCE, TRANSIENT_READ, Instance, instance_from_state

TERMINAL = frozenset({"COMPLETED", "FAILED", "TERMINATED"})


@dataclass(frozen=True)
class Target:
    """The daprd hosting the workflows (triage's sidecar) and its API token."""

    host: str
    grpc_port: int
    api_token: str | None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.grpc_port}"


def _failed(exc: grpc.RpcError, what: str, target: Target) -> DependencyFailed:
    return DependencyFailed(
        f"{what}: daprd at {target.address} answered {exc.code().name}: "
        f"{(exc.details() or '')[:300]} (is the stack up? `learnflow status`)",
        dependency="daprd-workflows",
    )


class WorkflowAdmin:
    def __init__(self, target: Target) -> None:
        from dapr.conf import settings as dapr_settings

        self.target = target
        # the SDK client reads the token from its settings when it is created
        setattr(dapr_settings, "DAPR_API_TOKEN", target.api_token)  # noqa: B010
        self._client = DaprWorkflowClient(host=target.host, port=str(target.grpc_port))
        metadata = [("dapr-api-token", target.api_token)] if target.api_token else []
        self._metadata = tuple(metadata)
        self._channel = grpc.insecure_channel(target.address)
        self._stub = stubs.TaskHubSidecarServiceStub(self._channel)  # type: ignore[no-untyped-call]

    def close(self) -> None:
        self._client.close()  # type: ignore[no-untyped-call]
        self._channel.close()

    def __enter__(self) -> WorkflowAdmin:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- reading ---------------------------------------------------------------------------------
    def instance_ids(self, page_size: int = 200) -> Iterator[str]:
        token = ""
        while True:
            request = pb.ListInstanceIDsRequest(pageSize=page_size)
            if token:
                request.continuationToken = token
            try:
                page = self._stub.ListInstanceIDs(request, metadata=self._metadata, timeout=30)
            except grpc.RpcError as exc:
                raise _failed(exc, "listing workflow instances", self.target) from exc
            yield from page.instanceIds
            token = page.continuationToken
            if not token or not page.instanceIds:
                return

    def get(self, instance_id: str) -> Instance:
        for attempt in range(6):
            try:
                state = self._client.get_workflow_state(instance_id)
            except grpc.RpcError as exc:
                if TRANSIENT_READ in (exc.details() or "") and attempt < 5:
                    time.sleep(0.02 * (attempt + 1))
                    continue
                raise _failed(exc, f"reading {instance_id}", self.target) from exc
            if state is None:
                raise NotFound(f"no workflow instance {instance_id!r}")
            return instance_from_state(state)
        raise AssertionError("unreachable")  # pragma: no cover

    def list_instances(
        self, *, status: str | None = None, prefix: str | None = None
    ) -> list[Instance]:
        found: list[Instance] = []
        for instance_id in self.instance_ids():
            if prefix and not instance_id.startswith(prefix):
                continue
            try:
                instance = self.get(instance_id)
            except NotFound:  # purged between listing and reading
                continue
            if status is None or instance.runtime_status == status.upper():
                found.append(instance)
        return sorted(found, key=lambda i: (i.created_at is None, i.created_at), reverse=True)

    def history(self, instance_id: str) -> list[dict[str, Any]]:
        """The current generation's history events, as JSON (protobuf field names; free-form:
        the engine's schema, read back by `history_events`)."""
        try:
            response = self._stub.GetInstanceHistory(
                pb.GetInstanceHistoryRequest(instanceId=instance_id),
                metadata=self._metadata,
                timeout=30,
            )
        except grpc.RpcError as exc:
            if NO_INSTANCE in (exc.details() or ""):
                raise NotFound(f"no workflow instance {instance_id!r}") from exc
            raise _failed(exc, f"reading the history of {instance_id}", self.target) from exc
        return [json_format.MessageToDict(event) for event in response.events]

    # --- changing --------------------------------------------------------------------------------
    def terminate(self, instance_id: str, *, reason: str = "terminated by an operator") -> None:
        self.get(instance_id)
        try:
            self._client.terminate_workflow(instance_id, output={"reason": reason})
        except grpc.RpcError as exc:
            raise _failed(exc, f"terminating {instance_id}", self.target) from exc

    def purge(self, instance_id: str) -> None:
        """Delete an instance's state; only a finished one (terminate a running one first)."""
        instance = self.get(instance_id)
        if instance.runtime_status not in TERMINAL:
            raise Conflict(
                f"{instance_id} is {instance.runtime_status}; terminate it first "
                f"(`learnflow workflows terminate {instance_id}`)"
            )
        try:
            self._client.purge_workflow(instance_id)
        except grpc.RpcError as exc:
            raise _failed(exc, f"purging {instance_id}", self.target) from exc


def history_events(raw: list[dict[str, Any]]) -> list[Any]:
    """Recorded history (JSON, as `WorkflowAdmin.history` returns) back into protobuf events."""
    return [json_format.ParseDict(event, pb.HistoryEvent()) for event in raw]
