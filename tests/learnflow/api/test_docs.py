"""`/docs` and `/redoc` of every app work offline: the pages reference only the app's own
assets, the assets answer, and nothing leaves the machine while they load.

Each real app is built in-process with an app API token set (so the request guard is on, as under
daprd) while every socket connection to a non-loopback address is refused.
"""

from __future__ import annotations

import importlib
import re
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from learnflow.settings import Settings

APPS = {
    "triage": ("triage_agent.main", {"database": False, "workflows": False}),
    "concepts": ("concepts_agent.main", {}),
    "tutor": ("tutor_agent.main", {}),
    "debrief": ("debrief_agent.main", {}),
    "code-runner": ("code_runner.app", {}),
}
# every URL-looking thing in a page: attributes, JS string literals, CSS url(...)
URL_IN_PAGE = re.compile(
    r"""(?:src|href)\s*=\s*["']([^"']+)["']|url\(\s*["']?([^"')]+)|(?:https?:)?//[\w.-]+\.[a-z]{2,}[^\s"'<>)]*"""
)
MARKERS = {
    "swagger-ui-bundle.js": b"SwaggerUIBundle",
    "redoc.standalone.js": b"Redoc",
    "swagger-ui.css": b".swagger-ui",
}


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """A CDN (or any non-loopback address) cannot be reached from this test."""
    refused: list[Any] = []
    real_connect = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if (
            isinstance(host, str)
            and host not in ("127.0.0.1", "::1", "localhost")
            and self.family != socket.AF_UNIX
        ):
            refused.append(address)
            raise OSError(f"test: network to {address!r} is off")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    yield refused
    assert refused == [], f"something tried to leave the machine: {refused}"


def _app(name: str) -> Any:
    module_name, options = APPS[name]
    module = importlib.import_module(module_name)
    settings = Settings(app_api_token="docs-test-token")  # the guard on, as under daprd
    return module.create_app(settings=settings, **options)


def _references(page: str) -> set[str]:
    found = set()
    for match in URL_IN_PAGE.finditer(page):
        found.add(next((g for g in match.groups() if g), match.group(0)).strip())
    return found


@pytest.mark.parametrize("name", sorted(APPS))
@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_page_uses_only_local_assets(name: str, page: str) -> None:
    app = _app(name)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app.test") as client:
        response = await client.get(page)  # no token: the docs are open, like /openapi.json
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/html")
        html = response.text
        references = _references(html)
        remote = {
            ref
            for ref in references
            if urlsplit(urljoin("http://app.test/", ref)).netloc != "app.test"
        }
        assert remote == set(), f"{name}{page} loads from outside: {remote}"
        assets = {ref for ref in references if ref.startswith("/docs/assets/")}
        wanted = (
            {"/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css"}
            if page == "/docs"
            else {"/docs/assets/redoc.standalone.js"}
        )
        assert wanted <= assets, f"{name}{page} references {sorted(references)}"
        assert "'/openapi.json'" in html or '"/openapi.json"' in html
        for asset in sorted(assets):
            got = await client.get(asset)
            assert got.status_code == 200, f"{asset}: {got.status_code}"
            marker = MARKERS.get(asset.rsplit("/", 1)[1])
            if marker is not None:
                assert marker in got.content, f"{asset} is not what its name says"
        spec = await client.get("/openapi.json")
        assert spec.status_code == 200 and spec.json()["info"]["title"].startswith("LearnFlow")


async def test_unknown_asset_is_a_clear_404() -> None:
    transport = httpx.ASGITransport(app=_app("concepts"))
    async with httpx.AsyncClient(transport=transport, base_url="http://app.test") as client:
        response = await client.get("/docs/assets/..%2F..%2Fsettings.py")
        assert response.status_code == 404
        response = await client.get("/docs/assets/secrets.txt")
        assert response.status_code == 404
        assert "swagger-ui-bundle.js" in response.text


def test_the_check_sees_a_cdn_page() -> None:
    """FastAPI's own docs page (jsdelivr, the FastAPI favicon, Google Fonts) fails the check."""
    from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html

    for page in (
        get_swagger_ui_html(openapi_url="/openapi.json", title="t"),
        get_redoc_html(openapi_url="/openapi.json", title="t"),
    ):
        references = _references(bytes(page.body).decode())
        remote = {
            r for r in references if urlsplit(urljoin("http://app.test/", r)).netloc != "app.test"
        }
        assert any("cdn.jsdelivr.net" in r for r in remote), references
