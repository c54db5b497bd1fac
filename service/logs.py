"""JSON-lines logging on stdout (what the awslogs driver ships), and one log line per request.

The formatter is a few lines over the standard library's ``json`` rather than a dependency: the
image keeps to flask, gunicorn and boto3, and the one thing needed is each record's message and
``extra`` fields as one JSON object per line. Nothing here reads headers, query strings or bodies,
so no credential or API key can reach a log line through it.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import IO, Any

from flask import Flask, Response, g, request

# Attributes every LogRecord has; anything else on a record came in through ``extra``.
_RECORD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "taskName",
}
# A client's request id is echoed only if it is short and plain (no header or log injection).
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}\Z")
REQUEST_ID_HEADER = "X-Request-Id"
MAX_LOGGED_PATH_CHARS = 512

request_log = logging.getLogger("service.request")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, pid and any ``extra`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_"):
                entry[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception_type"] = record.exc_info[0].__name__
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(level: int = logging.INFO, stream: IO[str] | None = None) -> None:
    """Send every log record to stdout (or ``stream``) as JSON lines; idempotent.

    Under gunicorn the root logger already has a JSON stream handler (docker/gunicorn.conf.py),
    which is kept as it is.
    """
    root = logging.getLogger()
    if not any(
        isinstance(handler, logging.StreamHandler) and isinstance(handler.formatter, JsonFormatter)
        for handler in root.handlers
    ):
        handler = logging.StreamHandler(stream or sys.stdout)
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)


def request_id_for(header_value: str | None) -> str:
    """The client's request id when it is sane, else a new one."""
    if header_value and _REQUEST_ID_RE.match(header_value):
        return header_value
    return uuid.uuid4().hex


def install_request_logging(app: Flask) -> None:
    """Give each request an id (echoed in ``X-Request-Id``) and log one line when it ends.

    Registered before any other request hook, so even a 401 or a 404 is logged with its id.
    """

    @app.before_request
    def start_request() -> None:
        g.request_id = request_id_for(request.headers.get(REQUEST_ID_HEADER))
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response: Response) -> Response:
        request_id = g.get("request_id") or request_id_for(None)
        started = g.get("request_started")
        duration_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
        response.headers[REQUEST_ID_HEADER] = request_id
        # The path only: query strings and headers are never logged.
        path = request.path[:MAX_LOGGED_PATH_CHARS]
        request_log.info(
            "%s %s %s",
            request.method,
            path,
            response.status_code,
            extra={
                "event": "request",
                "method": request.method,
                "path": path,
                "status": response.status_code,
                "duration_ms": duration_ms,
                "request_id": request_id,
            },
        )
        return response
