"""The whole local runtime in its own process: moto, agent, endpoints and gunicorn, end to end."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from artifacts.context import DeploymentContext
from artifacts.render import PROJECT_ROOT, TASKDEF_FILE, render_artifacts
from ecslocal.procs import group_members
from ecslocal.runtime_process import RuntimeProcess
from tests.ecslocal.conftest import CALLER_AWS_SETTINGS
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

CONTEXT = DeploymentContext()
ARTIFACTS = render_artifacts(CONTEXT)
TIMEOUT = 30


def api(state: dict[str, Any], method: str, path: str, **kwargs: Any) -> requests.Response:
    headers = {"X-Api-Key": state["api_key"], **kwargs.pop("headers", {})}
    return requests.request(
        method, state["service_url"] + path, headers=headers, timeout=TIMEOUT, **kwargs
    )


def operator(state: dict[str, Any], service: str) -> Any:
    keys = state["operator"]
    return boto3.Session(
        aws_access_key_id=keys["access_key_id"],
        aws_secret_access_key=keys["secret_access_key"],
        region_name=state["region"],
    ).client(service, endpoint_url=state["aws_endpoint"])


def credentials(state: dict[str, Any], token: str | None = None, url: str | None = None):
    headers = {} if token is None else {"Authorization": token}
    return requests.get(url or state["credentials_full_uri"], headers=headers, timeout=TIMEOUT)


def container_environ(state: dict[str, Any]) -> dict[str, str]:
    raw = Path(f"/proc/{state['container_pid']}/environ").read_bytes()
    return dict(item.split("=", 1) for item in raw.decode().split("\0") if "=" in item)


# -- identity ---------------------------------------------------------------------------------------
def test_boto3_in_the_container_resolves_the_task_role_from_container_role(state):
    body = api(state, "GET", "/whoami").json()
    assert body["credentials"]["source"] == "container-role"
    assert body["arn"] == (
        f"arn:aws:sts::{state['account_id']}:assumed-role/{CONTEXT.task_role_name}/{state['task_id']}"
    )
    assert body["session_name"] == state["task_id"]
    assert body["warnings"] == []


def test_a_shell_with_the_demo_env_exports_is_inside_the_task(runtime, state):
    exports = subprocess.run(
        [sys.executable, "-m", "ecslocal", "env", "--state-file", str(runtime.state_file)],
        capture_output=True, text=True, check=True, cwd=PROJECT_ROOT,
    ).stdout  # fmt: skip
    script = f"{exports}\n{sys.executable} -m service whoami --json\n"
    env = {"PATH": os.environ["PATH"], **CALLER_AWS_SETTINGS}
    out = subprocess.run(
        ["bash", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert f"assumed-role/{CONTEXT.task_role_name}/{state['task_id']}" in out.stdout
    assert "container-role" in out.stdout


# -- credentials endpoint ---------------------------------------------------------------------------
def test_the_credentials_endpoint_serves_task_role_credentials_with_a_z_expiration(state):
    response = credentials(state, state["authorization_token"])
    assert response.status_code == 200
    body = response.json()
    assert {"AccessKeyId", "SecretAccessKey", "Token", "Expiration", "RoleArn"} <= set(body)
    assert body["RoleArn"] == state["task_role_arn"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["Expiration"])
    expires = datetime.strptime(body["Expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    now = datetime.now(UTC)
    # Served before expiry: at most the 15-minute session, refreshed at half-life.
    assert now < expires <= now + timedelta(seconds=901)
    sts = boto3.client(
        "sts",
        region_name=state["region"],
        endpoint_url=state["aws_endpoint"],
        aws_access_key_id=body["AccessKeyId"],
        aws_secret_access_key=body["SecretAccessKey"],
        aws_session_token=body["Token"],
    )
    assert sts.get_caller_identity()["Arn"].endswith(
        f"/{CONTEXT.task_role_name}/{state['task_id']}"
    )


@pytest.mark.parametrize(
    ("token", "status"), [(None, 401), ("", 401), ("wrong-token", 403), ("Bearer x", 403)]
)
def test_the_credentials_endpoint_requires_the_token(state, token, status):
    response = credentials(state, token)
    assert response.status_code == status
    assert "AccessKeyId" not in response.text
    assert state["authorization_token"] not in response.text


@pytest.mark.parametrize("suffix", ["/v2/credentials/unknown-id", "/v2/credentials/", "/v3/x", "/"])
def test_unknown_credentials_ids_and_paths_are_404(state, suffix):
    base = state["credentials_full_uri"].split("/v2/")[0]
    response = credentials(state, state["authorization_token"], url=base + suffix)
    assert response.status_code == 404
    assert "AccessKeyId" not in response.text


def test_rotated_task_credentials_are_picked_up_without_a_failed_request(runtime, state):
    before = credentials(state, state["authorization_token"]).json()["AccessKeyId"]
    statuses: list[int] = []
    stop = threading.Event()

    def keep_calling_sqs() -> None:
        while not stop.is_set():
            statuses.append(api(state, "GET", "/messages?queue=confirmed&wait=0").status_code)

    caller = threading.Thread(target=keep_calling_sqs)
    caller.start()
    try:
        wait_for(lambda: len(statuses) >= 3, "service calls before the rotation")
        runtime.send(signal.SIGUSR1)
        after = wait_for(
            lambda: (
                (k := credentials(state, state["authorization_token"]).json()["AccessKeyId"])
                != before
                and k
            ),
            "the rotation",
        )
        seen = len(statuses)
        wait_for(lambda: len(statuses) >= seen + 3, "service calls after the rotation")
    finally:
        stop.set()
        caller.join()
    assert set(statuses) == {200}
    whoami = api(state, "GET", "/whoami").json()
    assert whoami["credentials"]["access_key_id"].endswith(after[-4:])
    assert whoami["credentials"]["source"] == "container-role"
    assert "task role credentials rotated (generation 2" in runtime.output()


# -- metadata endpoint ------------------------------------------------------------------------------
def test_metadata_v4_container_document(state):
    body = requests.get(state["metadata_uri"], timeout=TIMEOUT).json()
    assert body["DockerId"] == state["docker_id"]
    assert body["Name"] == CONTEXT.container_name
    assert body["Image"] == ARTIFACTS.container["image"]
    assert body["ImageID"].startswith("sha256:")
    assert body["KnownStatus"] == body["DesiredStatus"] == "RUNNING"
    assert body["Health"]["status"] == "HEALTHY"
    assert body["Labels"]["com.amazonaws.ecs.task-arn"] == state["task_arn"]
    assert body["LogOptions"]["awslogs-stream"] == state["log_stream"]
    for field in ("CreatedAt", "StartedAt", "Limits", "Type", "Networks", "ContainerARN"):
        assert field in body


@pytest.mark.parametrize("path", ["/task", "/taskWithTags"])
def test_metadata_v4_task_document(state, path):
    body = requests.get(state["metadata_uri"] + path, timeout=TIMEOUT).json()
    assert body["Cluster"] == state["cluster_arn"]
    assert body["TaskARN"] == state["task_arn"]
    assert body["Family"] == CONTEXT.task_family
    assert body["Revision"] == state["task_definition_arn"].rsplit(":", 1)[1]
    assert body["LaunchType"] == "FARGATE"
    assert body["KnownStatus"] == "RUNNING"
    assert body["AvailabilityZone"].startswith(state["region"])
    for field in (
        "Limits",
        "PullStartedAt",
        "PullStoppedAt",
        "ClockDrift",
        "EphemeralStorageMetrics",
    ):
        assert field in body
    assert [c["DockerId"] for c in body["Containers"]] == [state["docker_id"]]
    assert ("TaskTags" in body) == (path == "/taskWithTags")


def test_metadata_v4_stats_describe_the_container_processes(state):
    stats = requests.get(state["metadata_uri"] + "/stats", timeout=TIMEOUT).json()
    assert stats["pids_stats"]["current"] >= 2  # the gunicorn master and its workers
    assert stats["memory_stats"]["usage"] > 0
    task_stats = requests.get(state["metadata_uri"] + "/task/stats", timeout=TIMEOUT).json()
    assert set(task_stats) == {state["docker_id"]}


# -- environment and secrets ------------------------------------------------------------------------
def test_the_container_gets_the_fargate_environment_and_nothing_of_the_callers(state):
    env = container_environ(state)
    assert env["API_KEY"] == state["api_key"]
    assert env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] == state["credentials_full_uri"]
    assert env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] == state["authorization_token"]
    assert env["ECS_CONTAINER_METADATA_URI_V4"] == state["metadata_uri"]
    assert env["AWS_EXECUTION_ENV"] == "AWS_ECS_FARGATE"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == state["region"]
    assert env["AWS_ENDPOINT_URL"] == state["aws_endpoint"]
    local = render_artifacts(DeploymentContext(sqs_endpoint=state["aws_endpoint"])).container
    published_port = state["service_url"].rsplit(":", 1)[1]
    for entry in local["environment"]:
        expected = published_port if entry["name"] == "PORT" else entry["value"]
        assert env[entry["name"]] == expected, entry["name"]
    for name, value in CALLER_AWS_SETTINGS.items():
        assert env.get(name) != value, name
    assert "AWS_ACCESS_KEY_ID" not in env
    assert "AWS_PROFILE" not in env
    assert "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI" not in env


def test_the_secret_never_appears_in_the_console_or_cloudwatch(runtime, state):
    logs = operator(state, "logs")
    events = logs.get_log_events(
        logGroupName=state["log_group"], logStreamName=state["log_stream"], startFromHead=True
    )["events"]
    text = "\n".join(e["message"] for e in events) + runtime.output()
    assert events
    for secret in (
        state["api_key"],
        state["authorization_token"],
        state["operator"]["secret_access_key"],
        credentials(state, state["authorization_token"]).json()["SecretAccessKey"],
    ):
        assert secret not in text


# -- logs -------------------------------------------------------------------------------------------
def test_container_output_lands_in_cloudwatch_under_the_awslogs_stream_name(state):
    assert state["log_group"] == CONTEXT.log_group
    assert state["log_stream"] == (
        f"{CONTEXT.log_stream_prefix}/{CONTEXT.container_name}/{state['task_id']}"
    )
    marker = f"/healthz?probe={time.time_ns()}"
    api(state, "GET", marker)
    logs = operator(state, "logs")

    def shipped() -> list[str]:
        events = logs.get_log_events(
            logGroupName=state["log_group"], logStreamName=state["log_stream"], startFromHead=True
        )["events"]
        return [e["message"] for e in events]

    messages = wait_for(
        lambda: (m := shipped()) and any("/healthz" in x for x in m) and m, "shipping"
    )
    assert any("Starting gunicorn" in message for message in messages)


# -- start-up and shutdown --------------------------------------------------------------------------
def test_a_busy_port_is_a_clear_error_before_anything_starts(tmp_path):
    with __import__("socket").socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        out = subprocess.run(
            [sys.executable, "-m", "ecslocal", "run", "--port", str(port),
             "--state-file", str(tmp_path / "state.json")],
            capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=60,
        )  # fmt: skip
    assert out.returncode == 1
    assert f"port {port} is already in use" in out.stderr
    assert "Traceback" not in out.stderr + out.stdout


def test_sigterm_stops_the_task_like_ecs_and_leaves_no_process(tmp_path):
    process = RuntimeProcess(tmp_path, name="a runtime to stop").start()
    state = process.wait_ready()
    container_pid = state["container_pid"]
    assert group_members(container_pid)
    assert process.stop() == 0
    output = process.output()
    assert "SIGTERM received: stopping the task like ECS" in output
    assert "container courier stopped: exit code 0" in output
    assert group_members(container_pid) == []
    assert not process.state_file.exists()
    for url in (state["service_url"], state["aws_endpoint"], state["metadata_uri"]):
        with pytest.raises(requests.ConnectionError):
            requests.get(url, timeout=5)


def test_the_task_definition_command_runs_and_an_early_exit_stops_the_task(tmp_path):
    taskdef = json.loads(TASKDEF_FILE.read_text(encoding="utf-8"))
    taskdef["containerDefinitions"][0]["command"] = [
        "python", "-c", "print('one-shot container'); raise SystemExit(4)",
    ]  # fmt: skip
    taskdef_file = tmp_path / "taskdef.json"
    taskdef_file.write_text(json.dumps(taskdef), encoding="utf-8")
    process = RuntimeProcess(tmp_path / "run", ("--taskdef", str(taskdef_file))).start()
    assert process.wait_exit() == 1
    output = process.output()
    assert "[courier] one-shot container" in output
    assert "Essential container in task exited (exit code 4)" in output
    assert not process.state_file.exists()


def test_the_state_file_says_ready_once_the_container_is_healthy(runtime):
    state = json.loads(runtime.state_file.read_text(encoding="utf-8"))
    assert state["ready"] is True
    assert state["container_pid"] == runtime.state["container_pid"]
