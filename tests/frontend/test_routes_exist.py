"""Every route the web app calls exists in triage's OpenAPI.

The pages call the BFF (`api("<route>")` in frontend/components and lib), the BFF forwards only
the edge routes of its allow-list (frontend/lib/server/routes.ts) to triage. Both lists are read
from the frontend's source and matched against the OpenAPI document of triage's app, so a page
that calls a route triage lacks (or lost) fails here, without a browser or a stack.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import pytest

from learnflow.settings import REPO_ROOT

FRONTEND = REPO_ROOT / "frontend"
ROUTES_TS = FRONTEND / "lib" / "server" / "routes.ts"
# What the placeholders of routes.ts stand for (same patterns as there).
PLACEHOLDERS = {
    "${ID}": "[A-Za-z0-9_.:-]{1,200}",
    "${UUID}": "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
}
SAMPLES = ("0f1e2d3c-4b5a-4678-9abc-def012345678", "control-flow.for-loops")


@cache
def edge_routes() -> list[tuple[str, re.Pattern[str]]]:
    source = ROUTES_TS.read_text()
    found = []
    for method, pattern in re.findall(r'route\("(GET|POST)",\s*[`"]([^`"]+)[`"]\)', source):
        for placeholder, regex in PLACEHOLDERS.items():
            pattern = pattern.replace(placeholder, regex)
        found.append((method, re.compile(f"^{pattern}$")))
    return found


@cache
def triage_openapi() -> dict[str, Any]:
    from triage_agent.main import create_app

    spec: dict[str, Any] = create_app(database=False).openapi()
    return spec


def openapi_operations() -> list[tuple[str, str]]:
    """(METHOD, path without the leading slash, parameters as written) of triage's API."""
    return [
        (method.upper(), path.lstrip("/"))
        for path, item in triage_openapi()["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    ]


def _instances(path: str) -> list[str]:
    """The path with every `{param}` filled with each sample value."""
    return [re.sub(r"\{[^}]+\}", sample, path) for sample in SAMPLES]


def test_the_allow_list_was_read() -> None:
    assert len(edge_routes()) >= 15, f"routes.ts changed shape: found {edge_routes()}"


@pytest.mark.parametrize(
    ("method", "regex"), edge_routes(), ids=[f"{m} {r.pattern}" for m, r in edge_routes()]
)
def test_each_forwarded_route_exists_in_triage(method: str, regex: re.Pattern[str]) -> None:
    matches = [
        path
        for op_method, path in openapi_operations()
        if op_method == method and any(regex.match(p) for p in _instances(path))
    ]
    assert matches, (
        f"the BFF forwards {method} /{regex.pattern.strip('^$')} but triage has no such route; "
        f"triage's routes: {sorted(f'{m} /{p}' for m, p in openapi_operations())}"
    )


def _bff_own_routes() -> set[str]:
    """Routes the BFF answers itself (app/api/<route>/route.ts), e.g. auth/login, events."""
    api = FRONTEND / "app" / "api"
    return {
        str(path.parent.relative_to(api))
        for path in api.glob("**/route.ts")
        if "[" not in str(path.relative_to(api))
    }


def _called_routes() -> list[tuple[str, str]]:
    """(METHOD, path) of every `api(...)`/`useApi(...)` call of the pages, `${...}` filled."""
    calls = []
    pattern = re.compile(
        r"\b(?:api|useApi)(?:<[^>]*>)?\(\s*(`[^`]+`|\"[^\"]+\")"
        r"\s*(?:,\s*\{\s*method:\s*\"(POST|GET)\")?"
    )
    files = [*FRONTEND.glob("components/**/*.tsx"), *FRONTEND.glob("lib/*.ts")]
    for file in sorted(files):
        for literal, method in pattern.findall(file.read_text()):
            path = re.sub(r"\$\{[^}]+\}", SAMPLES[0], literal[1:-1]).split("?")[0]
            if path not in _bff_own_routes():
                calls.append((method or "GET", path))
    return calls


def test_the_pages_calls_were_read() -> None:
    assert len(_called_routes()) >= 10, _called_routes()


@pytest.mark.parametrize(("method", "path"), _called_routes())
def test_every_call_of_the_pages_is_forwarded_to_an_existing_route(method: str, path: str) -> None:
    allowed = any(m == method and r.match(path) for m, r in edge_routes())
    assert allowed, f"a page calls {method} /api/{path}, which the BFF does not forward"
    exists = any(
        op_method == method and re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", op_path), path)
        for op_method, op_path in openapi_operations()
    )
    assert exists, f"a page calls {method} /api/{path}, which triage does not serve"
