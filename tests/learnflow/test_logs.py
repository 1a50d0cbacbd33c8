"""The log line format: one valid JSON object per line, carrying the trace id of the request
being served (and none outside one), with secrets masked whoever logged them."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from learnflow.logs import (
    REDACTED,
    JsonFormatter,
    Redactor,
    TextFormatter,
    configure_logging,
    secret_values,
)
from learnflow.settings import Settings
from learnflow.tracecontext import TraceContext, trace_scope

TRACE = TraceContext("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7")


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    """What the `t.logs` logger writes, as JSON lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("tutor", Redactor(["s3cret-value-of-a-token"])))
    logger = logging.getLogger("t.logs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


def _entries(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_record_inside_a_trace_carries_its_ids(lines: io.StringIO) -> None:
    with trace_scope(TRACE):
        logging.getLogger("t.logs").info("graded %s", "ex-1")
    (entry,) = _entries(lines)
    assert entry["trace_id"] == TRACE.trace_id and entry["span_id"] == TRACE.span_id
    assert entry["message"] == "graded ex-1"
    assert (entry["level"], entry["logger"], entry["app_id"]) == ("INFO", "t.logs", "tutor")
    assert str(entry["time"]).endswith("Z")


def test_a_record_outside_a_trace_has_none(lines: io.StringIO) -> None:
    logging.getLogger("t.logs").warning("started")
    (entry,) = _entries(lines)
    assert "trace_id" not in entry and "span_id" not in entry


def test_every_record_is_one_line_of_json_tracebacks_too(lines: io.StringIO) -> None:
    logger = logging.getLogger("t.logs")
    logger.info('quotes " and\nnewlines\tstay inside the string', extra={"exercise": "ex-1"})
    try:
        raise ValueError("boom\nsecond line")
    except ValueError:
        logger.exception("failed")
    assert len(lines.getvalue().splitlines()) == 2
    first, second = _entries(lines)
    assert first["exercise"] == "ex-1"
    assert "Traceback" in str(second["exception"]) and "ValueError: boom" in str(
        second["exception"]
    )


def test_secrets_are_masked_in_every_field(lines: io.StringIO) -> None:
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    logging.getLogger("t.logs").warning(
        'headers: {"authorization": "Bearer abc.def-ghi", "dapr-api-token: tok123"} %s',
        jwt,
        extra={"conninfo": "host=db password=pg-pass user=x", "token": "s3cret-value-of-a-token"},
    )
    text = lines.getvalue()
    for secret in ("abc.def-ghi", jwt, "pg-pass", "tok123", "s3cret-value-of-a-token"):
        assert secret not in text
    (entry,) = _entries(lines)  # still valid JSON after masking
    assert entry["token"] == REDACTED


def test_the_secret_settings_values_are_the_ones_masked() -> None:
    settings = Settings(
        jwt_secret=SecretStr("jwt-secret-value"), app_api_token=SecretStr("app-token-value")
    )
    assert {"jwt-secret-value", "app-token-value"} <= set(secret_values(settings))
    assert "short" not in Redactor(["short"]).values  # would mask ordinary words


def test_the_text_format_ends_with_the_trace_id() -> None:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "hello", None, None)
    formatter = TextFormatter("triage")
    assert "triage INFO t: hello" in formatter.format(record)
    assert "[trace" not in formatter.format(record)
    with trace_scope(TRACE):
        assert formatter.format(record).endswith(f"hello [trace {TRACE.trace_id}]")


def test_configure_logging_installs_one_handler_and_leaves_a_hosts_alone() -> None:
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    try:
        root.handlers = [logging.NullHandler()]  # someone else's (pytest's, say)
        configure_logging("triage", stream=io.StringIO())
        assert len(root.handlers) == 1
        root.handlers = []
        first, second = io.StringIO(), io.StringIO()
        configure_logging("triage", stream=first)
        configure_logging("triage", "text", stream=second)  # replaces, never doubles
        assert len(root.handlers) == 1
        logging.getLogger("uvicorn.error").info("Started server process")
        assert first.getvalue() == ""
        assert "triage INFO uvicorn.error: Started server process" in second.getvalue()
    finally:
        root.handlers, root.level = saved, level
