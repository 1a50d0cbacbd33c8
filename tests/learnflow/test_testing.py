"""`learnflow.testing.FakeSidecar`, the in-memory fake the unit tests and `learnflow ask` use:
it must refuse what Dapr refuses, or the tests built on it prove nothing."""

from __future__ import annotations

import pytest

from learnflow.errors import Conflict, InvalidInput
from learnflow.sidecar import Mesh
from learnflow.testing import FakeSidecar, failing


async def test_a_stale_etag_is_refused_and_the_fresh_one_accepted() -> None:
    sidecar: Mesh = FakeSidecar()
    await sidecar.save_state("k", {"n": 1})
    _, etag = await sidecar.get_state_entry("k")
    await sidecar.save_state("k", {"n": 2}, etag=etag)
    with pytest.raises(Conflict):
        await sidecar.save_state("k", {"n": 3}, etag=etag)
    with pytest.raises(Conflict):
        await sidecar.save_state("k", {"n": 3})  # no ETag on an existing key
    assert (await sidecar.get_state_entry("k"))[0] == {"n": 2}


async def test_stored_values_are_copies() -> None:
    sidecar = FakeSidecar()
    value = {"items": [1]}
    await sidecar.save_state("k", value)
    value["items"].append(2)
    loaded, _ = await sidecar.get_state_entry("k")
    assert loaded == {"items": [1]}


async def test_invocations_are_answered_by_handlers_or_refused() -> None:
    async def echo(body: object) -> object:
        return {"echo": body}

    sidecar = FakeSidecar(runner=failing("boom"), handlers={("tutor", "ping"): echo})
    verdict = await sidecar.invoke("code-runner", "tests", json_body={"code": "x"})
    assert verdict["status"] == "fail" and verdict["tests"][0]["message"] == "boom"
    assert await sidecar.invoke("tutor", "ping", json_body=1) == {"echo": 1}
    with pytest.raises(InvalidInput, match="concepts/explain is not available"):
        await sidecar.invoke("concepts", "explain")
    assert [(i.app_id, i.method) for i in sidecar.invocations] == [
        ("code-runner", "tests"),
        ("tutor", "ping"),
        ("concepts", "explain"),
    ]
