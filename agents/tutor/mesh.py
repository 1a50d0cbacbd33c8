"""What the tutor needs from its Dapr sidecar (`learnflow.sidecar.Sidecar` provides it; tests
pass a scripted fake)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class Mesh(Protocol):
    async def invoke(
        self,
        app_id: str,
        method: str,
        *,
        json_body: Any = None,
        http_method: str = "POST",
        headers: Mapping[str, str] | None = None,
    ) -> Any: ...

    async def get_state_entry(self, key: str) -> tuple[Any | None, str | None]: ...

    async def save_state(
        self, key: str, value: Any, *, etag: str | None = None, first_write: bool = True
    ) -> None: ...
