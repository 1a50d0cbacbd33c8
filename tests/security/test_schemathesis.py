"""Property-based requests against every app's own OpenAPI, on the real stack: no input the
schema allows (or nearly allows) may make an app answer 5xx.

Each app is called at its own port, as its sidecar calls it (the app token for internal apps, a
student's JWT for triage's public routes). Schemathesis generates the requests; the number per
operation is bounded (`LEARNFLOW_SCHEMATHESIS_EXAMPLES`, default 6) and the examples are
derandomised, so the run is repeatable and takes about a minute; raise it for a deeper probe.
"""

from __future__ import annotations

import os
import time
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.integration.harness import Mesh
from tests.security.helpers import person

pytestmark = pytest.mark.integration

EXAMPLES = int(os.environ.get("LEARNFLOW_SCHEMATHESIS_EXAMPLES", "6"))
BUDGET_S = float(os.environ.get("LEARNFLOW_SCHEMATHESIS_BUDGET_S", "90"))
APPS = ("triage", "concepts", "tutor", "debrief", "code-runner")


def _headers(mesh: Mesh, app_id: str) -> dict[str, str]:
    headers = {"dapr-api-token": mesh.secrets.app_token(app_id)}  # what its sidecar sends
    if app_id == "triage":
        headers["authorization"] = f"Bearer {person(mesh).token}"
    return headers


@pytest.mark.parametrize("app_id", APPS)
def test_no_request_the_schema_allows_makes_an_app_fail(mesh: Mesh, app_id: str) -> None:
    base = mesh.app_url(app_id)
    raw = httpx.get(f"{base}/openapi.json", timeout=30).json()
    schema = schemathesis.openapi.from_dict(raw)
    headers = _headers(mesh, app_id)
    failures: list[str] = []
    calls = 0
    deadline = time.monotonic() + BUDGET_S

    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(), _=st.just(None))
        def probe(case: Any, _: None) -> None:
            nonlocal calls
            if time.monotonic() > deadline:
                return
            calls += 1
            response = case.call(base_url=base, headers=headers, timeout=60)
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} query={case.query} body={case.body!r}"
                    f" -> {response.status_code} {response.text[:200]}"
                )

        probe()

    assert calls > 0
    assert not failures, f"{len(failures)} of {calls} requests answered 5xx:\n" + "\n".join(
        failures[:20]
    )
