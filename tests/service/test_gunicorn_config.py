"""docker/gunicorn.conf.py: its settings, their bounds, and the start-up check of the configuration."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import pytest

from artifacts.render import render_artifacts
from service.aws import (
    CALL_DEADLINE_SECONDS,
    CLIENT_CONFIG,
    LONG_POLL_MAX_SECONDS,
    PROBE_CONFIG,
    PROBE_DEADLINE_SECONDS,
    long_poll_config,
    longest_request_seconds,
    worst_case_seconds,
)
from service.startup import CONFIG_ERROR_EXIT
from tests.service.conftest import CONTEXT
from tests.support.processes import PROJECT_ROOT

CONFIG_FILE = PROJECT_ROOT / "docker" / "gunicorn.conf.py"
VALID_ENV = {
    "AWS_REGION": CONTEXT.region,
    "PENDING_QUEUE_URL": CONTEXT.queue_url(CONTEXT.pending_queue_name),
    "CONFIRMED_QUEUE_URL": CONTEXT.queue_url(CONTEXT.confirmed_queue_name),
}


def load_config(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> dict[str, Any]:
    for name in (
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "PORT",
        "BIND_HOST",
        "WEB_CONCURRENCY",
        "WORKER_CONNECTIONS",
        "AWS_REQUEST_LIMIT",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONFIG_FILE))


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(monkeypatch, VALID_ENV)
    assert config["bind"] == ["0.0.0.0:8080"]
    assert config["worker_class"] == "service.httpworker.JsonErrorWorker"
    assert config["workers"] >= 1 and config["worker_connections"] >= 500
    assert config["accesslog"] is None
    assert config["control_socket_disable"] is True
    expected_tmp = "/dev/shm" if Path("/dev/shm").is_dir() else None
    assert config["worker_tmp_dir"] == expected_tmp


def test_port_workers_and_connections_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = {**VALID_ENV, "PORT": "9000", "WEB_CONCURRENCY": "3", "WORKER_CONNECTIONS": "50"}
    config = load_config(monkeypatch, env)
    assert (config["bind"], config["workers"], config["worker_connections"]) == (
        ["0.0.0.0:9000"],
        3,
        50,
    )


@pytest.mark.parametrize(
    ("host", "bind"),
    [("127.0.0.1", "127.0.0.1:8080"), ("::1", "[::1]:8080"), ("0.0.0.0", "0.0.0.0:8080")],  # noqa: S104
)
def test_bind_host_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, host: str, bind: str
) -> None:
    config = load_config(monkeypatch, {**VALID_ENV, "BIND_HOST": host})
    assert config["bind"] == [bind]


def test_timeouts_fit_the_aws_bounds_and_the_task_definition(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = load_config(monkeypatch, VALID_ENV)
    container = render_artifacts(CONTEXT).container
    health = container["healthCheck"]
    long_poll = worst_case_seconds(long_poll_config(LONG_POLL_MAX_SECONDS))
    # Every AWS call is bounded: an ordinary call within 10 s, a long poll within wait + 5 s,
    # a readiness probe within its 5 s deadline, which fits the health check's timeout.
    assert worst_case_seconds(CLIENT_CONFIG) <= CALL_DEADLINE_SECONDS <= 10
    assert long_poll <= LONG_POLL_MAX_SECONDS + 5
    assert worst_case_seconds(PROBE_CONFIG) < PROBE_DEADLINE_SECONDS <= health["timeout"]
    # A worker is not killed for a request the AWS deadlines end anyway...
    assert config["timeout"] > longest_request_seconds()
    # ...a long poll in flight finishes before ECS follows SIGTERM with SIGKILL...
    assert long_poll < config["graceful_timeout"] < container["stopTimeout"]
    # ...and a worker that does hang is replaced before the health check gives up on the task.
    assert config["timeout"] <= health["interval"] * health["retries"] + health["startPeriod"] + 10


def test_logs_go_to_stdout_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    logging_config = load_config(monkeypatch, VALID_ENV)["logconfig_dict"]
    assert logging_config["handlers"]["stdout"]["stream"] == "ext://sys.stdout"
    assert logging_config["formatters"]["json"]["()"].__name__ == "JsonFormatter"
    assert logging_config["loggers"]["gunicorn.error"]["handlers"] == ["stdout"]


@pytest.mark.parametrize(
    ("env", "problems"),
    [
        ({}, ["AWS_REGION", "PENDING_QUEUE_URL is not set", "CONFIRMED_QUEUE_URL is not set"]),
        ({**VALID_ENV, "PORT": "http"}, ["PORT 'http' is not a port number"]),
        ({**VALID_ENV, "WEB_CONCURRENCY": "0"}, ["WEB_CONCURRENCY '0' is not a positive"]),
        ({**VALID_ENV, "WORKER_CONNECTIONS": "many"}, ["WORKER_CONNECTIONS 'many'"]),
        ({**VALID_ENV, "AWS_REQUEST_LIMIT": "0"}, ["AWS_REQUEST_LIMIT '0' is not a positive"]),
        ({**VALID_ENV, "BIND_HOST": "localhost"}, ["BIND_HOST 'localhost' is not an IP address"]),
        (
            {**VALID_ENV, "PENDING_QUEUE_URL": "sqs://queue", "API_KEY": " key\n"},
            ["PENDING_QUEUE_URL: 'sqs://queue' is not an http(s) URL", "API_KEY has leading"],
        ),
    ],
)
def test_configuration_errors_stop_start_up_naming_every_problem(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    problems: list[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        load_config(monkeypatch, env)
    assert exited.value.code == CONFIG_ERROR_EXIT
    stderr = capsys.readouterr().err
    assert stderr.startswith("courier: cannot start: invalid configuration:")
    for problem in problems:
        assert problem in stderr
    assert "Traceback" not in stderr
