"""JSON log lines: one per request (no query string, no headers), the start-up identity line, and
a last-resort handler that answers a JSON 500 and logs the exception type, never its text."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from moto import mock_aws

from service.logs import JsonFormatter, configure_logging
from tests.service.conftest import (
    ApiClient,
    build_app,
    env_for,
    isolate_from_host_aws,
    moto_with_queues,
)


def json_lines(caplog: pytest.LogCaptureFixture, event: str) -> list[dict]:
    formatter = JsonFormatter()
    lines = [json.loads(formatter.format(record)) for record in caplog.records]
    return [line for line in lines if line.get("event") == event]


def test_each_request_logs_one_json_line(
    keyed_api: ApiClient, api_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        response = keyed_api.get(
            "/messages?queue=pending&max=2&token=query-secret-value",
            headers={"X-Request-Id": "req-42", "Cookie": "session=cookie-secret"},
        )
    assert response.status_code == 400  # the unknown query parameter
    [line] = json_lines(caplog, "request")
    assert line["method"] == "GET"
    assert line["path"] == "/messages"
    assert line["status"] == 400
    assert line["request_id"] == "req-42"
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert {"time", "level", "logger", "message", "pid"} <= set(line)
    text = caplog.text + json.dumps(line)
    for secret in ("query-secret-value", "cookie-secret", api_key):
        assert secret not in text


def test_rejected_requests_are_logged_too(
    keyed_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        ApiClient(keyed_app).get("/whoami")
        ApiClient(keyed_app).get("/missing")
    assert [(line["path"], line["status"]) for line in json_lines(caplog, "request")] == [
        ("/whoami", 401),
        ("/missing", 404),
    ]


def test_formatter_writes_extra_fields_and_exception_type() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "failed %s", ("once",), sys.exc_info()
        )
    record.event = "custom"
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "failed once"
    assert line["event"] == "custom"
    assert line["level"] == "error"
    assert line["exception_type"] == "ValueError"


def test_logging_is_configured_once_however_many_apps(make_app: Callable[..., Flask]) -> None:
    make_app()
    make_app()
    configure_logging()
    json_handlers = [
        h
        for h in logging.getLogger().handlers
        if isinstance(h, logging.StreamHandler) and isinstance(h.formatter, JsonFormatter)
    ]
    assert len(json_handlers) == 1


def test_failed_identity_check_at_startup_logs_warning_codes_and_starts(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with moto_with_queues(tmp_path) as queues:
        env = env_for(queues)
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate_from_host_aws(monkeypatch, tmp_path)
        with mock_aws(config={"core": {"mock_credentials": False}}):
            with caplog.at_level(logging.INFO):
                app = build_app(env)
            assert ApiClient(app).get("/healthz").status_code == 200
    [line] = json_lines(caplog, "identity")
    assert line["level"] == "warning"
    assert line["error"] == "no_credentials"
    assert isinstance(line["warnings"], list)


def test_a_bug_is_a_json_500_and_logs_only_the_exception_type(
    make_app: Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app()

    @app.get("/bug")
    def bug() -> str:
        raise RuntimeError("internal detail with password=hunter2-hunter2")

    with caplog.at_level(logging.INFO):
        response = app.test_client().get("/bug", headers={"X-Request-Id": "bug-1"})
    assert response.status_code == 500
    assert response.json["error"]["code"] == "internal_error"
    assert "bug-1" in response.json["error"]["message"]
    assert "Traceback" not in response.get_data(as_text=True)
    [line] = [r.__dict__ for r in caplog.records if r.getMessage() == "unhandled exception"]
    assert line["exception_type"] == "RuntimeError"
    assert any("in bug" in frame for frame in line["frames"])
    assert "hunter2" not in caplog.text and "hunter2" not in json.dumps(line, default=str)
