"""A bad day: AWS accepts connections and never answers. Real gunicorn, a real hung socket server.

The service still starts, answers ``/healthz`` at once, fails AWS-backed requests with a JSON 503
within their deadlines, says why it is not ready within 5 s, and keeps ``/healthz`` fast while 100
requests wait on AWS.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.service.conftest import CONTEXT
from tests.support.processes import (
    clean_env,
    free_port,
    made_up_keys,
    service_env,
    start_gunicorn,
    stop,
    wait_for_http,
)

pytestmark = pytest.mark.integration


class HungEndpoint:
    """A TCP server on loopback that accepts every connection and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(512)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(connection)

    def close(self) -> None:
        self.sock.close()
        for connection in self.held:
            connection.close()


@dataclass
class HungService:
    url: str
    api_key: str
    started_in: float
    stdout: Path
    hung: HungEndpoint
    process: subprocess.Popen


@contextlib.contextmanager
def service_against(endpoint: str, tmp: Path, hung: HungEndpoint) -> Iterator[HungService]:
    """gunicorn as in production, with every AWS call sent to ``endpoint``."""
    port, api_key = free_port(), secrets.token_urlsafe(24)
    env = service_env(
        endpoint,
        f"{endpoint}/{CONTEXT.account_id}/{CONTEXT.pending_queue_name}",
        f"{endpoint}/{CONTEXT.account_id}/{CONTEXT.confirmed_queue_name}",
        port,
        **made_up_keys(),
        API_KEY=api_key,
        WEB_CONCURRENCY="2",
    )
    stdout = tmp / "stdout.log"
    started = time.monotonic()
    process = start_gunicorn(env, stdout)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{url}/healthz", timeout=25, process=process)
        yield HungService(url, api_key, time.monotonic() - started, stdout, hung, process)
    finally:
        stop(process, timeout=30)


@pytest.fixture(scope="module")
def hung_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HungService]:
    hung = HungEndpoint()
    try:
        endpoint = f"http://127.0.0.1:{hung.port}"
        with service_against(endpoint, tmp_path_factory.mktemp("hung"), hung) as service:
            yield service
    finally:
        hung.close()


def test_aws_gone_fails_at_once_with_a_json_503(tmp_path: Path) -> None:
    hung = HungEndpoint()
    hung.close()  # nothing listens there any more: connection refused
    endpoint = f"http://127.0.0.1:{hung.port}"
    with service_against(endpoint, tmp_path, hung) as service:
        key = {"X-Api-Key": service.api_key}
        response, seconds = timed(
            "POST", f"{service.url}/messages", json={"body": "x"}, headers=key
        )
        assert response.status_code == 503 and seconds < 5
        assert response.json()["error"]["code"] == "aws_unavailable"
        assert "cannot reach" in response.json()["error"]["message"]
        ready, seconds = timed("GET", f"{service.url}/readyz")
        assert (ready.status_code, ready.json()["reason"]) == (503, "queue_unreachable")
        assert seconds < 5


def timed(method: str, url: str, **kwargs: object) -> tuple[requests.Response, float]:
    started = time.monotonic()
    response = requests.request(method, url, timeout=30, **kwargs)  # type: ignore[arg-type]
    return response, time.monotonic() - started


def test_the_service_starts_and_answers_healthz_with_aws_hung(hung_service: HungService) -> None:
    assert hung_service.started_in < 25
    response, seconds = timed("GET", f"{hung_service.url}/healthz")
    assert response.json() == {"status": "ok"} and seconds < 1


def test_a_send_fails_with_a_json_503_within_10_seconds(hung_service: HungService) -> None:
    response, seconds = timed(
        "POST",
        f"{hung_service.url}/messages",
        json={"body": "x"},
        headers={"X-Api-Key": hung_service.api_key},
    )
    assert seconds <= 10
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json()["error"]["code"] == "aws_unavailable"


def test_a_long_poll_fails_within_its_wait_plus_5_seconds(hung_service: HungService) -> None:
    response, seconds = timed(
        "GET",
        f"{hung_service.url}/messages?queue=pending&wait=2",
        headers={"X-Api-Key": hung_service.api_key},
    )
    assert seconds <= 2 + 5
    assert response.status_code == 503


def test_readiness_says_not_ready_within_5_seconds_and_only_the_reason(
    hung_service: HungService,
) -> None:
    response, seconds = timed("GET", f"{hung_service.url}/readyz")
    assert seconds <= 5.5
    assert response.status_code == 503
    body = response.json()
    assert body["ready"] is False
    assert body["reason"] in ("queue_unreachable", "check_timeout")
    assert "checks" not in body and CONTEXT.account_id not in response.text


def test_healthz_stays_fast_while_100_requests_wait_on_aws(hung_service: HungService) -> None:
    headers = {"X-Api-Key": hung_service.api_key}
    with ThreadPoolExecutor(max_workers=100) as pool:
        waiting = [
            pool.submit(
                requests.post,
                f"{hung_service.url}/messages",
                json={"body": "x"},
                headers=headers,
                timeout=30,
            )
            for _ in range(100)
        ]
        # Wait until the requests hang on AWS (the endpoint holds their connections).
        held_before = len(hung_service.hung.held)
        deadline = time.monotonic() + 10
        while len(hung_service.hung.held) < held_before + 50 and time.monotonic() < deadline:
            threading.Event().wait(0.05)
        assert len(hung_service.hung.held) >= held_before + 50
        latencies = []
        for _ in range(50):
            response, seconds = timed("GET", f"{hung_service.url}/healthz")
            assert response.status_code == 200
            latencies.append(seconds)
        statuses = [future.result().status_code for future in waiting]
    latencies.sort()
    assert latencies[int(len(latencies) * 0.99) - 1] < 1.0
    assert set(statuses) <= {503}  # aws_unavailable, or busy past the cap: never a hang or a 500


def test_no_log_line_holds_a_query_string(hung_service: HungService) -> None:
    requests.get(f"{hung_service.url}/healthz?token=query-secret-1", timeout=5)
    with socket.create_connection(("127.0.0.1", int(hung_service.url.rsplit(":", 1)[1]))) as sock:
        sock.sendall(b"get /healthz?token=query-secret-2 HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = b"".join(iter(lambda: sock.recv(4096), b""))  # the server closes the connection
    head, body = answer.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 400") and b"Content-Type: application/json" in head
    assert json.loads(body)["error"]["code"] == "invalid_method"
    assert "query-secret" not in hung_service.stdout.read_text()


@pytest.mark.parametrize(
    ("raw", "status", "codes"),
    [
        (b"get /healthz?q=query-secret-3 HTTP/1.1\r\nHost: x\r\n\r\n", 400, {"invalid_method"}),
        (
            b"GET /healthz?q=query-secret-4" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
            414,
            {"request_line_too_long"},
        ),
        (
            b"GET /healthz?q=query-secret-5 HTTP/1.1\r\nX-Long: " + b"a" * 9000 + b"\r\n\r\n",
            431,
            {"headers_too_large"},
        ),
        (
            b"GET /healthz?q=query-secret-6\x00 HTTP/1.1\r\nHost: x\r\n\r\n",
            400,
            {"invalid_request_line", "invalid_request"},
        ),
        (
            b"GET /healthz?q=query-secret-7\xff HTTP/1.1\r\nHost: x\r\n\r\n",
            400,
            {"invalid_request_line", "invalid_request"},
        ),
        (
            b"POST /messages?q=query-secret-8 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            400,
            {"invalid_header"},
        ),
    ],
    ids=["lower-case method", "long request line", "long header", "NUL", "non-UTF-8", "CL+TE"],
)
def test_requests_gunicorn_rejects_get_the_json_error_and_stay_out_of_the_log(
    hung_service: HungService, raw: bytes, status: int, codes: set[str]
) -> None:
    port = int(hung_service.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(raw)
        answer = b"".join(iter(lambda: sock.recv(4096), b""))  # the server closes the connection
    head, body = answer.split(b"\r\n\r\n", 1)
    assert head.startswith(f"HTTP/1.1 {status} ".encode())
    assert b"Content-Type: application/json" in head
    assert json.loads(body)["error"]["code"] in codes
    assert b"query-secret" not in body
    assert "query-secret" not in hung_service.stdout.read_text(errors="replace")


def test_healthz_and_the_health_check_pass_while_200_slow_clients_hold_connections(
    hung_service: HungService,
) -> None:
    port = int(hung_service.url.rsplit(":", 1)[1])
    slow: list[socket.socket] = []
    try:
        for i in range(200):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            # Half a request: headers that never end, or a promised body that never comes.
            if i % 2:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Drip: ")
            else:
                sock.sendall(
                    b"POST /messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    b'Content-Length: 1000\r\n\r\n{"body": "'
                )
            slow.append(sock)
        for sock in slow[::20]:
            sock.sendall(b"a")  # still dripping
        latencies = []
        for _ in range(20):
            response, seconds = timed("GET", f"{hung_service.url}/healthz")
            assert response.status_code == 200
            latencies.append(seconds)
        # The task definition's health check, as ECS runs it inside the container.
        check = subprocess.run(
            [sys.executable, "-m", "service", "healthcheck"],
            env=clean_env(PORT=str(port)),
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    finally:
        for sock in slow:
            sock.close()
    assert max(latencies) < 1.0
    assert check.returncode == 0, check.stdout + check.stderr


def test_sigterm_closes_idle_keepalive_connections_instead_of_waiting_for_them(
    tmp_path: Path,
) -> None:
    # A load balancer keeps idle connections open; with nothing in flight, a stop is quick.
    hung = HungEndpoint()
    hung.close()
    with service_against(f"http://127.0.0.1:{hung.port}", tmp_path, hung) as service:
        port = int(service.url.rsplit(":", 1)[1])
        idle = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(4)]
        for sock in idle:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert sock.recv(65536).startswith(b"HTTP/1.1 200")  # answered, kept alive
        service.process.send_signal(signal.SIGTERM)
        # Well below graceful_timeout (25 s), which is how long gunicorn would wait for them.
        assert service.process.wait(timeout=10) == 0
        for sock in idle:
            sock.close()
