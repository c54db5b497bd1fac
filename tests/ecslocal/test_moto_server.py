"""EmbeddedMoto's lifecycle, and ``python -m ecslocal.moto_server`` as an external server."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable
from urllib.parse import urlsplit

import boto3
import moto
import pytest
from moto import settings
from moto.core import enable_iam_authentication

from ecslocal import motocompat
from ecslocal.bootstrap import enable_enforcement, require_bridges
from ecslocal.moto_server import BRIDGES_PATH, EmbeddedMoto, MotoServerError, main
from tests.ecslocal.motoprocess import bridged_moto_processes
from tests.ecslocal.motoworld import ECS_TASKS, SERVICE_PRINCIPAL_TAG, outcome
from tests.support.processes import free_port


def _sqs(endpoint: str) -> object:
    return boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="AKIAANYKEYBEFOREAUTH",
        aws_secret_access_key="any",
    )


def _refuses_connections(endpoint: str) -> bool:
    parts = urlsplit(endpoint)
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def _request_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("moto-request-")]


def _wait_until(condition: Callable[[], object], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


@pytest.fixture
def no_server_running() -> None:
    assert motocompat.installed() == (), "an EmbeddedMoto from an earlier test is still running"


def test_start_serves_moto_on_a_free_loopback_port(no_server_running: None) -> None:
    with EmbeddedMoto() as server:
        assert urlsplit(server.endpoint).hostname == "127.0.0.1"
        assert urlsplit(server.endpoint).port not in (None, 0)
        url = _sqs(server.endpoint).create_queue(QueueName="q")["QueueUrl"]
        assert url == f"{server.endpoint}/123456789012/q"


def test_stop_leaves_no_thread_and_no_socket_even_with_an_idle_client_connection(
    no_server_running: None,
) -> None:
    threads_before = set(threading.enumerate())
    server = EmbeddedMoto()
    endpoint = server.start()
    parts = urlsplit(endpoint)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    connection.request("GET", "/moto-api/data.json")
    assert connection.getresponse().read()
    connection.close()
    _wait_until(lambda: not _request_threads())
    # A client that connected and sent nothing yet: its handler thread waits on the socket.
    idle = socket.create_connection((parts.hostname, parts.port), timeout=5)
    _wait_until(_request_threads)
    server.stop()
    assert set(threading.enumerate()) - threads_before == set()
    assert _refuses_connections(endpoint)
    assert idle.recv(1) == b""  # the server closed it
    idle.close()
    server.stop()  # idempotent


def test_bridges_live_while_serving_and_the_last_stop_restores_moto(
    no_server_running: None,
) -> None:
    before = settings.INITIAL_NO_AUTH_ACTION_COUNT
    first, second = EmbeddedMoto(), EmbeddedMoto()
    first.start()
    second.start()
    assert motocompat.installed() == tuple(motocompat.bridge_names())
    enable_enforcement(first.endpoint)
    assert settings.INITIAL_NO_AUTH_ACTION_COUNT == 0
    first.stop()
    assert motocompat.installed() == tuple(motocompat.bridge_names()), "second still serves"
    second.stop()
    assert motocompat.installed() == ()
    after = settings.INITIAL_NO_AUTH_ACTION_COUNT
    assert after == before


def test_starts_with_enforcement_off_whatever_the_process_had(no_server_running: None) -> None:
    with enable_iam_authentication():
        with EmbeddedMoto() as server:
            assert "QueueUrl" in _sqs(server.endpoint).create_queue(QueueName="q")
        enforced_again = settings.INITIAL_NO_AUTH_ACTION_COUNT
        assert enforced_again == 0


def test_each_first_start_is_a_fresh_account(no_server_running: None) -> None:
    with EmbeddedMoto() as server:
        _sqs(server.endpoint).create_queue(QueueName="left-over")
    with EmbeddedMoto() as server:
        assert "QueueUrls" not in _sqs(server.endpoint).list_queues()


def test_context_manager_stops_when_the_body_fails(no_server_running: None) -> None:
    with pytest.raises(RuntimeError, match="boom"), EmbeddedMoto() as server:
        endpoint = server.endpoint
        raise RuntimeError("boom")
    assert _refuses_connections(endpoint)
    assert motocompat.installed() == ()


def test_port_in_use_is_a_clear_error_not_a_hang_or_exit(no_server_running: None) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(MotoServerError, match=f"cannot listen on 127.0.0.1:{port}"):
            EmbeddedMoto(port=port).start()
    assert motocompat.installed() == ()


@pytest.mark.parametrize(
    ("host", "port"),
    [("127.0.0.1", 70000), ("127.0.0.1", -1), ("999.0.0.1", 0), ("no such host", 0)],
    ids=["port-too-big", "negative-port", "bad-address", "bad-name"],
)
def test_bad_address_is_a_clear_error(no_server_running: None, host: str, port: int) -> None:
    with pytest.raises(MotoServerError, match="cannot listen on"):
        EmbeddedMoto(host, port).start()
    assert motocompat.installed() == ()


def test_the_server_lists_its_bridges_for_a_runtime_that_checks_them(
    no_server_running: None,
) -> None:
    with EmbeddedMoto() as server:
        listing = json.loads(
            urllib.request.urlopen(f"{server.endpoint}{BRIDGES_PATH}", timeout=10).read()  # noqa: S310
        )
        require_bridges(server.endpoint)  # passes: every bridge is there
    assert listing == {"moto": moto.__version__, "bridges": list(motocompat.bridge_names())}


def test_start_twice_and_endpoint_before_start_are_errors(no_server_running: None) -> None:
    server = EmbeddedMoto()
    with pytest.raises(MotoServerError, match="not running"):
        _ = server.endpoint
    with server:
        with pytest.raises(MotoServerError, match="already running"):
            server.start()
        assert "http://127.0.0.1:" in repr(server)
    assert repr(server) == "EmbeddedMoto(stopped)"


def test_wrong_moto_version_refuses_to_serve(
    no_server_running: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("moto.__version__", "5.3.0")
    with pytest.raises(MotoServerError, match=re.escape("verified against moto 5.2.5")):
        EmbeddedMoto().start()
    assert motocompat.installed() == ()


# -- python -m ecslocal.moto_server ---------------------------------------------------------------


@pytest.mark.parametrize("port", ["abc", "70000", "-5"])
def test_module_rejects_a_bad_port_with_usage(
    port: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--port", port])
    assert exit_info.value.code == 2
    assert "is not a port number" in capsys.readouterr().err


def test_module_reports_a_port_in_use_and_exits_1(
    no_server_running: None, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        assert main(["--port", str(taken.getsockname()[1])]) == 1
    assert "error: cannot listen on" in capsys.readouterr().err
    assert motocompat.installed() == ()


def _assume_service_principal_role(endpoint: str) -> str:
    """Set up a role trusting ecs-tasks and a stand-in user, enforce, and assume the role."""
    session = boto3.Session(
        aws_access_key_id="AKIAANYKEYBEFOREAUTH",
        aws_secret_access_key="any",
        region_name="us-east-1",
    )
    iam = session.client("iam", endpoint_url=endpoint)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": ECS_TASKS}, "Action": "sts:AssumeRole"}
        ],
    }
    role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    iam.create_user(UserName="agent", Tags=[{"Key": SERVICE_PRINCIPAL_TAG, "Value": ECS_TASKS}])
    allow = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
    }
    iam.put_user_policy(UserName="agent", PolicyName="p", PolicyDocument=json.dumps(allow))
    key = iam.create_access_key(UserName="agent")["AccessKey"]
    enable_enforcement(endpoint)
    sts = boto3.client(
        "sts",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
    )
    return outcome(lambda: sts.assume_role(RoleArn=role["Arn"], RoleSessionName="task"))


def test_module_stops_cleanly_on_ctrl_c(
    no_server_running: None, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"

    def interrupt_once_serving() -> None:
        while _refuses_connections(endpoint):
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGINT)

    interrupter = threading.Thread(target=interrupt_once_serving, daemon=True)
    interrupter.start()
    assert main(["--port", str(port)]) == 0  # signal handlers run on the main thread: here
    interrupter.join(5)
    assert capsys.readouterr().out == f"{endpoint}\n"
    assert _refuses_connections(endpoint)
    assert motocompat.installed() == ()


@pytest.mark.integration
def test_module_serves_with_the_bridges_in_its_own_process_and_stops_on_sigterm() -> None:
    with bridged_moto_processes() as [(endpoint, process)]:
        assert urlsplit(endpoint).hostname == "127.0.0.1"
        # Pristine moto answers this with an HTTP 500 (see the canary); bridged, it is allowed.
        assert _assume_service_principal_role(endpoint) == "allowed"
        process.send_signal(signal.SIGTERM)
        try:
            assert process.wait(timeout=15) == 0
        except subprocess.TimeoutExpired:
            pytest.fail("the server did not stop on SIGTERM")
        assert _refuses_connections(endpoint)
