"""The task role's credentials endpoint (the local runtime's) rotating and going away under traffic.

Real processes and servers: a moto server, the local runtime's credentials endpoint serving
short-lived credentials (botocore fetches again on every call when fewer than 10 minutes remain),
and gunicorn as in production finding them through ``AWS_CONTAINER_CREDENTIALS_FULL_URI``.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import boto3
import pytest
import requests

from ecslocal.credentials import RoleCredentials, RotatingCredentials, utc_now
from ecslocal.credentials_endpoint import CREDENTIALS_PATH, create_credentials_app
from ecslocal.httpserve import ServedApp
from tests.service.conftest import CONTEXT
from tests.service.secret_guard import GUARD
from tests.support.processes import (
    create_service_queues,
    free_port,
    moto_server_process,
    service_env,
    start_gunicorn,
    stop,
    wait_for_http,
)

pytestmark = pytest.mark.integration

CREDENTIALS_ID = "task"
# Inside botocore's mandatory refresh window (10 min): every call fetches the credentials again
# and fails without them. In the advisory window (15 min) every call tries to fetch them again,
# and keeps the current ones when that fails.
MANDATORY = timedelta(minutes=9)
ADVISORY = timedelta(minutes=14)


def issuer(lifetime: timedelta) -> Callable[[], RoleCredentials]:
    """Issues new sets of made-up keys (moto without IAM enforcement accepts any)."""
    return lambda: issue(lifetime)


def issue(lifetime: timedelta) -> RoleCredentials:
    now = utc_now()
    secret, token = secrets.token_urlsafe(30), secrets.token_urlsafe(40)
    GUARD.register(secret, token)
    return RoleCredentials(
        access_key_id="ASIA" + secrets.token_hex(8).upper(),
        secret_access_key=secret,
        session_token=token,
        expiration=now + lifetime,
        role_arn=CONTEXT.role_arn(CONTEXT.task_role_name),
        issued_at=now,
    )


@dataclass
class Running:
    url: str
    rotating: RotatingCredentials
    endpoint: ServedApp


@pytest.fixture
def lifetime() -> timedelta:
    return MANDATORY


@pytest.fixture
def service(tmp_path: Path, lifetime: timedelta) -> Iterator[Running]:
    with moto_server_process() as moto:
        sqs = boto3.client(
            "sqs",
            region_name=CONTEXT.region,
            endpoint_url=moto,
            aws_access_key_id="AKIAFIXTURE000000000",
            aws_secret_access_key="fixture-secret",
        )
        pending, confirmed = create_service_queues(sqs)
        rotating = RotatingCredentials(issuer(lifetime))
        endpoint = ServedApp(create_credentials_app({CREDENTIALS_ID: rotating}, None)).start()
        port = free_port()
        env = service_env(
            moto,
            pending,
            confirmed,
            port,
            AWS_CONTAINER_CREDENTIALS_FULL_URI=f"{endpoint.base_url}{CREDENTIALS_PATH}{CREDENTIALS_ID}",
            WEB_CONCURRENCY="2",
        )
        log = tmp_path / "out.log"
        process = start_gunicorn(env, log)
        running = Running(f"http://127.0.0.1:{port}", rotating, endpoint)
        try:
            wait_for_http(f"{running.url}/healthz", timeout=25, process=process)
            yield running
        finally:
            stop(process)
            running.endpoint.stop()
            GUARD.observe("gunicorn output", log.read_bytes())


def send(url: str) -> requests.Response:
    return requests.post(f"{url}/messages", json={"body": "x"}, timeout=20)


# ECS hands out credentials for hours; botocore refreshes them in the advisory window first.
@pytest.mark.parametrize("lifetime", [ADVISORY])
def test_credentials_rotated_twice_a_second_under_traffic_fail_no_request(
    service: Running,
) -> None:
    stop_rotating = threading.Event()

    def rotate() -> None:
        while not stop_rotating.wait(0.5):  # a rotation period, not a wait for something
            service.rotating.rotate()

    rotator = threading.Thread(target=rotate, daemon=True)
    rotator.start()
    target = service.rotating.generation + 4
    statuses: list[int] = []
    deadline = time.monotonic() + 20
    try:
        # Traffic for as long as four rotations take, however fast the requests are.
        while service.rotating.generation < target and time.monotonic() < deadline:
            statuses.append(send(service.url).status_code)
    finally:
        stop_rotating.set()
        rotator.join()
    assert service.rotating.generation >= target
    assert len(statuses) >= 20
    assert Counter(statuses) == {201: len(statuses)}


def test_credentials_endpoint_down_then_back(service: Running) -> None:
    assert send(service.url).status_code == 201
    port = service.endpoint.port
    service.endpoint.stop()  # connection refused from now on
    down = send(service.url)
    assert down.status_code == 503
    assert down.json()["error"]["code"] == "no_credentials"
    assert down.headers["Retry-After"] == "5"
    # The endpoint comes back on its address; the next call fetches credentials again.
    service.endpoint = ServedApp(
        create_credentials_app({CREDENTIALS_ID: service.rotating}, None), port=port
    ).start()
    assert send(service.url).status_code == 201
