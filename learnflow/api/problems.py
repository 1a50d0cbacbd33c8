"""The one place errors become HTTP answers.

Every error body has the same shape: `{"error": <code>, "message": <what to fix>, ...details}`.
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from learnflow.errors import Busy, LearnFlowError, Unavailable
from learnflow.tracecontext import RESPONSE_HEADER, current_trace

log = logging.getLogger("learnflow.api")

DATABASE_DOWN = Unavailable(
    "LearnFlow's database is unavailable for the moment, so nothing was saved. "
    "Try again in a few seconds.",
    dependency="postgresql",
    retry_after_s=5,
)


def problem(status: int, code: str, message: str, **details: Any) -> JSONResponse:
    headers = {}
    if "retry_after_s" in details:
        headers["Retry-After"] = str(details["retry_after_s"])
    return JSONResponse(
        {"error": code, "message": message, **details}, status_code=status, headers=headers
    )


def problem_details(exc: LearnFlowError) -> dict[str, Any]:
    """What a problem body says of `exc` beside its code and message (JSON-safe details, and
    when to retry a busy or unavailable dependency)."""
    details = {k: v for k, v in exc.details.items() if _json_safe(v)}
    if isinstance(exc, Busy | Unavailable):
        details["retry_after_s"] = exc.retry_after_s
    return details


def _describe_validation(exc: RequestValidationError) -> tuple[int, str]:
    """(status, message): 400 when the body cannot be parsed, 422 when it has the wrong shape."""
    parts = []
    for err in exc.errors():
        location = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        if err.get("type") == "json_invalid":
            return 400, "the request body is not valid JSON; send a JSON object"
        if err.get("type") == "model_attributes_type" or (
            err.get("type") in ("dict_type", "model_type") and not location
        ):
            return 422, "the request body must be a JSON object"
        message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{location or 'body'}: {message}")
    return 422, "; ".join(parts) or "the request is invalid"


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(LearnFlowError)
    async def _learnflow_error(_: Request, exc: LearnFlowError) -> JSONResponse:
        if exc.status_code >= 500:
            log.warning("%s: %s", exc.code, exc.message)
        return problem(exc.status_code, exc.code, exc.message, **problem_details(exc))

    # The database went away mid-request (a lost connection; or, from psycopg_pool, which
    # derives its errors from this one, no connection to be had): the transaction rolled back,
    # so the caller may simply retry.
    @app.exception_handler(psycopg.OperationalError)
    async def _database_down(request: Request, exc: Exception) -> JSONResponse:
        log.warning("database unavailable: %s", type(exc).__name__)
        return await _learnflow_error(request, DATABASE_DOWN)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        status, message = _describe_validation(exc)
        return problem(status, "invalid_input", message)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, "http_error", str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        response = problem(500, "internal_error", "something went wrong on our side; try again")
        # answered outside the trace middleware: name the trace here (the one logged above)
        trace = current_trace()
        if trace is not None:
            response.headers[RESPONSE_HEADER] = trace.header()
        return response


def _json_safe(value: Any) -> bool:
    return isinstance(value, str | int | float | bool | type(None) | list | dict)
