"""The service as it runs in the container: gunicorn with docker/gunicorn.conf.py, talking HTTP,
against a moto server in its own process."""

from __future__ import annotations

import contextlib
import json
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from service.startup import CONFIG_ERROR_EXIT
from tests.service.conftest import CONTEXT
from tests.service.openapi_check import response_problems
from tests.service.secret_guard import GUARD, SecretGuard
from tests.support.processes import (
    PROJECT_ROOT,
    clean_env,
    create_service_queues,
    free_port,
    made_up_keys,
    moto_server_process,
    stop,
    wait_for_http,
)

pytestmark = pytest.mark.integration

GUNICORN = [
    str(Path(sys.executable).parent / "gunicorn"),
    "--config",
    "docker/gunicorn.conf.py",
    "service.wsgi:app",
]


@dataclass
class MotoAws:
    endpoint: str
    env: dict[str, str]
    sqs: Any
    pending_url: str
    confirmed_url: str


@pytest.fixture(scope="module")
def moto_aws() -> Iterator[MotoAws]:
    """A moto server process with the service's queues, and keys made up for this run."""
    with moto_server_process() as endpoint:
        env = {
            "AWS_REGION": CONTEXT.region,
            "AWS_ENDPOINT_URL": endpoint,
            **made_up_keys(),
        }
        sqs = boto3.client(
            "sqs",
            region_name=CONTEXT.region,
            endpoint_url=endpoint,
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        )
        pending, confirmed = create_service_queues(sqs)
        yield MotoAws(endpoint, env, sqs, pending, confirmed)


@dataclass
class Service:
    process: subprocess.Popen
    url: str
    api_key: str
    stdout: Path
    stderr: Path
    document: dict[str, Any] = field(default_factory=dict)
    request_ids: list[tuple[str, str, str, int]] = field(default_factory=list)

    def call(self, method: str, path: str, *, key: bool = True, **kwargs: Any) -> requests.Response:
        """One HTTP request, with its own request id, checked against the OpenAPI document."""
        request_id = uuid.uuid4().hex
        headers = {"X-Request-Id": request_id, **kwargs.pop("headers", {})}
        if key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        response = requests.request(method, self.url + path, headers=headers, timeout=40, **kwargs)
        assert response.headers["X-Request-Id"] == request_id
        if self.document:
            problems = response_problems(
                self.document,
                method,
                path.split("?")[0],
                response.status_code,
                response.headers,
                response.content,
            )
            assert not problems, problems
        self.request_ids.append((request_id, method, path.split("?")[0], response.status_code))
        return response

    def log_lines(self, *, strict: bool = True) -> list[dict[str, Any]]:
        """The JSON lines gunicorn wrote to stdout (``strict``: every line must be JSON)."""
        lines = []
        for text in self.stdout.read_text().splitlines():
            try:
                lines.append(json.loads(text))
            except ValueError:
                if strict:
                    raise
        return lines


def wait_for_workers(service: Service, workers: int, timeout: float = 30.0) -> None:
    """Wait until every worker has loaded the app (each logs its identity line once loaded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = service.log_lines(strict=False)  # a line may be half written
        if sum(1 for line in lines if line.get("event") == "identity") >= workers:
            return
        time.sleep(0.1)
    raise TimeoutError(f"{workers} workers did not load the app within {timeout} s")


@contextlib.contextmanager
def running_service(
    moto_aws: MotoAws, tmp_path: Path, guard: SecretGuard, **extra: str
) -> Iterator[Service]:
    """gunicorn started the way the container starts it; its output goes to the guard at the end."""
    port = free_port()
    api_key = secrets.token_urlsafe(24)
    guard.register(api_key, moto_aws.env["AWS_SECRET_ACCESS_KEY"])
    settings = {
        **moto_aws.env,
        "PENDING_QUEUE_URL": moto_aws.pending_url,
        "CONFIRMED_QUEUE_URL": moto_aws.confirmed_url,
        "EXPECTED_TASK_ROLE_NAME": CONTEXT.task_role_name,
        "EXECUTION_ROLE_NAME": CONTEXT.execution_role_name,
        "API_KEY": api_key,
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "4",
        "AWS_EC2_METADATA_DISABLED": "true",
        **extra,
    }
    env = clean_env(**settings)
    stdout, stderr = tmp_path / "stdout.log", tmp_path / "stderr.log"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(GUNICORN, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=err)
    service = Service(process, f"http://127.0.0.1:{port}", api_key, stdout, stderr)
    try:
        wait_for_http(f"{service.url}/healthz", timeout=30, process=process)
        wait_for_workers(service, int(settings["WEB_CONCURRENCY"]))
        service.document = service.call("GET", "/openapi.json").json()
        yield service
    finally:
        stop(process, timeout=40)
        guard.observe("gunicorn stdout", stdout.read_bytes())
        guard.observe("gunicorn stderr", stderr.read_bytes())


@pytest.fixture(scope="module")
def service(moto_aws: MotoAws, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    with running_service(moto_aws, tmp_path_factory.mktemp("gunicorn"), GUARD) as running:
        yield running


def test_every_route_over_http(service: Service, moto_aws: MotoAws) -> None:
    assert service.call("GET", "/healthz", key=False).json() == {"status": "ok"}
    assert service.call("GET", "/readyz", key=False).json()["status"] == "ready"
    whoami = service.call("GET", "/whoami").json()
    assert whoami["credentials"]["source"] == "env"
    assert moto_aws.env["AWS_ACCESS_KEY_ID"] not in json.dumps(whoami)

    sent = service.call("POST", "/messages", json={"body": "one", "attributes": {"k": "v"}})
    assert sent.status_code == 201
    batch = service.call("POST", "/messages/batch", json={"messages": [{"body": "two"}]})
    assert batch.json()["sent"] == 1

    received = service.call("GET", "/messages?queue=pending&max=10&wait=1").json()["messages"]
    assert {m["body"] for m in received} == {"one", "two"}
    one = next(m for m in received if m["body"] == "one")
    two = next(m for m in received if m["body"] == "two")
    assert one["attributes"] == {"k": "v"}
    handle = {"queue": "pending", "receipt_handle": two["receipt_handle"]}
    assert service.call("POST", "/messages/delete", json=handle).json()["deleted"] is True
    handle = {"queue": "pending", "receipt_handle": one["receipt_handle"]}
    assert service.call("POST", "/messages/release", json=handle).json()["released"] is True

    confirmed = service.call("POST", "/messages/confirm", json={"max": 10, "wait": 1}).json()
    assert [c["message_id"] for c in confirmed["confirmed"]] == [one["message_id"]]
    [copy] = service.call("GET", "/messages?queue=confirmed&wait=1").json()["messages"]
    assert copy["attributes"]["OriginalMessageId"] == one["message_id"]
    handle = {"queue": "confirmed", "receipt_handle": copy["receipt_handle"]}
    assert service.call("POST", "/messages/delete", json=handle).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "key", "status"),
    [
        ("GET", "/whoami", False, 401),
        ("GET", "/nope", True, 404),
        ("PUT", "/messages", True, 405),
        ("POST", "/messages/confirm", True, 415),
        ("GET", "/messages?max=99", True, 400),
    ],
)
def test_errors_over_http(service: Service, method: str, path: str, key: bool, status: int) -> None:
    data = "x" if status == 415 else None
    headers = {"Content-Type": "text/plain"} if status == 415 else {}
    response = service.call(method, path, key=key, data=data, headers=headers)
    assert response.status_code == status
    assert set(response.json()["error"]) >= {"code", "message"}


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_oversized_request_over_http_is_413(service: Service, chunked: bool) -> None:
    body = b'{"body": "' + b"a" * (4 * 1024 * 1024) + b'"}'
    # requests sends an iterable body chunked, without a Content-Length.
    data = iter([body]) if chunked else body
    response = service.call(
        "POST", "/messages", data=data, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_logs_are_json_lines_with_one_line_per_request(service: Service) -> None:
    service.call("GET", "/healthz", key=False)
    lines = service.log_lines()  # every line parses as JSON
    by_id = {}
    for line in lines:
        if line.get("event") == "request":
            assert line["request_id"] not in by_id, "one line per request"
            by_id[line["request_id"]] = line
    for request_id, method, path, status in service.request_ids:
        line = by_id[request_id]
        assert (line["method"], line["path"], line["status"]) == (method, path, status)
        assert isinstance(line["duration_ms"], float)
    assert all("?" not in line.get("path", "") for line in lines)


def test_one_identity_line_per_worker_process(service: Service) -> None:
    lines = service.log_lines()
    workers = {line["pid"] for line in lines if line["message"].startswith("Booting worker")}
    identity = [line for line in lines if line.get("event") == "identity"]
    assert len(workers) == 2
    assert sorted(line["pid"] for line in identity) == sorted(workers)
    assert {line["credential_source"] for line in identity} == {"env"}


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, ["PENDING_QUEUE_URL is not set", "CONFIRMED_QUEUE_URL is not set", "AWS_REGION"]),
        (
            {
                "AWS_REGION": "mars-1",
                "PENDING_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/12/short",
                "CONFIRMED_QUEUE_URL": "x",
                "PORT": "99999",
            },
            ["AWS_REGION 'mars-1'", "PENDING_QUEUE_URL", "CONFIRMED_QUEUE_URL", "PORT '99999'"],
        ),
    ],
)
def test_configuration_error_stops_gunicorn_with_one_message(
    env: dict[str, str], expected: list[str], secret_guard: SecretGuard
) -> None:
    result = subprocess.run(
        GUNICORN,
        cwd=PROJECT_ROOT,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    secret_guard.observe("gunicorn stderr", result.stderr)
    assert result.returncode == CONFIG_ERROR_EXIT
    assert result.stderr.startswith("courier: cannot start: invalid configuration:")
    for fragment in expected:
        assert fragment in result.stderr
    assert "Traceback" not in result.stderr
    assert "Booting worker" not in result.stdout + result.stderr
