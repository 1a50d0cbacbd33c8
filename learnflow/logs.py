"""How every LearnFlow process logs: one JSON object per line, or readable text for local use.

    {"time": "2025-01-31T09:12:03.482Z", "level": "INFO", "logger": "triage.chat",
     "message": "...", "app_id": "triage", "trace_id": "4bf9...", "span_id": "00f0..."}

`trace_id`/`span_id` are those of the request or event being served
(`learnflow.tracecontext`); a line written outside any request has neither. The same trace id
is on the sidecars' spans (`learnflow trace <id>`), so one id finds a request in every log and
trace. `LEARNFLOW_LOG_FORMAT=text` gives the old one-line text with the trace id at the end.

Secrets never reach a log line: bearer tokens, JWTs, `password=` values and the value of every
secret setting (`SecretStr`) are replaced by `[redacted]` in the formatted line, whatever
logged them — the last line of defence behind not logging headers at all.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Iterable
from typing import IO, Any, Literal

from pydantic import BaseModel, SecretStr

from learnflow.tracecontext import current_trace

LogFormat = Literal["json", "text"]
REDACTED = "[redacted]"
_SECRET_PATTERNS = re.compile(
    r"(?i)(?<=bearer )[^\s\"',;&]+"  # Authorization: Bearer <token>
    r"|\beyJ[\w-]+\.[\w-]+\.[\w-]*"  # a JWT (header.payload.signature)
    r"|(?<=password=)[^\s\"',;&]+"  # a libpq conninfo's or URL query's password
    r"|(?<=api-token: )[^\s\"',;&]+"  # dapr-api-token: <token>, in a dump of headers
    r"|(?<=api-token=)[^\s\"',;&]+"
)
#: Attributes every LogRecord has: anything else was passed with `extra=` and is logged too.
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",  # uvicorn's message with terminal colours
}
#: Loggers that come with their own handler: routed to ours, so their lines are JSON too.
#: (Not uvicorn.access: it logs whenever a handler can be reached, and `learnflow.access`
#: writes that line, with the trace, instead.)
FOREIGN_LOGGERS = ("uvicorn", "uvicorn.error")
_MIN_SECRET_CHARS = 8  # shorter values would redact ordinary words


class Redactor:
    """Masks secrets in a formatted line: known patterns, and the exact values given."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.values = sorted({s for s in secrets if len(s) >= _MIN_SECRET_CHARS}, key=len)[::-1]

    def __call__(self, text: str) -> str:
        for value in self.values:
            if value in text:
                text = text.replace(value, REDACTED)
        return _SECRET_PATTERNS.sub(REDACTED, text)


def secret_values(settings: BaseModel) -> list[str]:
    """The value of every `SecretStr` field of a settings object (to be redacted)."""
    values = (getattr(settings, name) for name in type(settings).model_fields)
    return [v.get_secret_value() for v in values if isinstance(v, SecretStr)]


def _utc_time(record: logging.LogRecord) -> str:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
    return f"{stamp}.{int(record.msecs):03d}Z"


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line (a traceback goes into `exception`)."""

    def __init__(self, app_id: str, redactor: Redactor | None = None) -> None:
        super().__init__()
        self.app_id = app_id
        self.redact = redactor or Redactor()

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _utc_time(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "app_id": self.app_id,
        }
        trace = current_trace()
        if trace is not None:
            entry["trace_id"] = trace.trace_id
            entry["span_id"] = trace.span_id
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and not key.startswith("_") and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # redacted field by field, before encoding: a mask never splits a JSON escape
        return json.dumps(self._scrub(entry), ensure_ascii=False)

    def _scrub(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            return {str(k): self._scrub(v) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self._scrub(v) for v in value]
        if value is None or isinstance(value, bool | int | float):
            return value
        return self.redact(str(value))


class TextFormatter(logging.Formatter):
    """`<time> <app> <LEVEL> <logger>: <message> [trace <id>]`, for reading in a terminal."""

    def __init__(self, app_id: str, redactor: Redactor | None = None) -> None:
        super().__init__(f"%(asctime)s {app_id} %(levelname)s %(name)s: %(message)s")
        self.redact = redactor or Redactor()

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        trace = current_trace()
        if trace is not None:
            first, newline, rest = line.partition("\n")
            line = f"{first} [trace {trace.trace_id}]{newline}{rest}"
        return self.redact(line)


class _OurHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler `configure_logging` installed (so a second call replaces it)."""


def make_formatter(
    app_id: str, log_format: LogFormat, secrets: Iterable[str] = ()
) -> logging.Formatter:
    redactor = Redactor(secrets)
    if log_format == "text":
        return TextFormatter(app_id, redactor)
    return JsonFormatter(app_id, redactor)


def configure_logging(
    app_id: str,
    log_format: LogFormat = "json",
    *,
    secrets: Iterable[str] = (),
    stream: IO[str] | None = None,
    level: int = logging.INFO,
) -> None:
    """Log as `app_id` on stderr in `log_format`. Like `logging.basicConfig`, it leaves a root
    logger that has someone else's handlers alone (pytest's, a host application's)."""
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is noise
    root = logging.getLogger()
    if any(not isinstance(h, _OurHandler) for h in root.handlers):
        return
    for old in [h for h in root.handlers if isinstance(h, _OurHandler)]:
        root.removeHandler(old)
    handler = _OurHandler(stream or sys.stderr)
    handler.setFormatter(make_formatter(app_id, log_format, secrets))
    root.addHandler(handler)
    root.setLevel(level)
    route_to_root(FOREIGN_LOGGERS)
    logging.captureWarnings(True)  # `warnings.warn` lines become records too


def route_to_root(names: Iterable[str], level: int | None = None) -> None:
    """Drop the handlers libraries gave their loggers and let the records reach ours."""
    for name in names:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        if level is not None:
            logger.setLevel(level)
