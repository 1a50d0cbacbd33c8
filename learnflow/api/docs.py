"""API docs that work offline: `/docs` (Swagger UI) and `/redoc` from files in a wheel.

FastAPI's own docs pages load Swagger UI, ReDoc, a favicon and Google Fonts from CDNs, so on a
machine (or a cluster) without internet they render blank. The same pages here point at
`/docs/assets/<file>`, served from the `fastapi-offline` wheel's static folder (the wheel is
pinned in requirements.lock; only its files are used, not its app class).
"""

from __future__ import annotations

from importlib.resources import files
from typing import Final

from fastapi import FastAPI, HTTPException
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse, Response

DOCS_URL: Final = "/docs"
REDOC_URL: Final = "/redoc"
ASSETS_PREFIX: Final = "/docs/assets/"
OAUTH2_REDIRECT_URL: Final = "/docs/oauth2-redirect"

ASSETS: Final = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "favicon.png": "image/png",
}
_STATIC = files("fastapi_offline").joinpath("static")


def is_docs_path(path: str) -> bool:
    """The docs pages and their files: open to anyone, like `/openapi.json`."""
    return path in (DOCS_URL, REDOC_URL, OAUTH2_REDIRECT_URL) or path.startswith(ASSETS_PREFIX)


def install_offline_docs(app: FastAPI) -> None:
    """Add `/docs`, `/redoc` and their assets; create the app with docs_url=redoc_url=None."""
    openapi_url = app.openapi_url or "/openapi.json"
    favicon = ASSETS_PREFIX + "favicon.png"

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=ASSETS_PREFIX + "swagger-ui-bundle.js",
            swagger_css_url=ASSETS_PREFIX + "swagger-ui.css",
            swagger_favicon_url=favicon,
            oauth2_redirect_url=OAUTH2_REDIRECT_URL,
            # no "valid" badge: it asks validator.swagger.io about the spec
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(REDOC_URL, include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=ASSETS_PREFIX + "redoc.standalone.js",
            redoc_favicon_url=favicon,
            with_google_fonts=False,
        )

    @app.get(ASSETS_PREFIX + "{name}", include_in_schema=False)
    async def asset(name: str) -> Response:
        media_type = ASSETS.get(name)
        if media_type is None:
            raise HTTPException(404, f"no docs asset {name!r}; there are {sorted(ASSETS)}")
        return Response(
            _STATIC.joinpath(name).read_bytes(),
            media_type=media_type,
            headers={"Cache-Control": "public, max-age=86400"},
        )
