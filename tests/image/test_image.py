"""The real image: built from docker/Dockerfile, run the way ECS runs it (task definition options)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from typing import Any

import pytest
import requests

from artifacts.context import DeploymentContext
from artifacts.render import render_artifacts
from ecslocal.engine_docker import mount_options, resource_options
from ecslocal.runtime_process import RuntimeProcess
from tests.support.runtime_api import api, assert_whoami_is_the_task_role
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

CONTEXT = DeploymentContext()
ARTIFACTS = render_artifacts(CONTEXT)
TASK_DEFINITION = ARTIFACTS.task_definition
CONTAINER = ARTIFACTS.container
TIMEOUT = 30


def docker(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, check=False, timeout=timeout
    )


def run_once(
    image: str, *options: str, command: tuple[str, ...] = ()
) -> subprocess.CompletedProcess:
    """``docker run --rm`` without a network (nothing here needs one)."""
    return docker("run", "--rm", "--network", "none", *options, image, *command)


def python(code: str) -> tuple[str, ...]:
    return ("python", "-c", code)


def inspect(name: str) -> dict[str, Any]:
    result = docker("inspect", name)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)[0]


def container_name(state: dict[str, Any]) -> str:
    return f"ecslocal-{state['task_id']}-{state['container_name']}"


# -- the image on its own ---------------------------------------------------------------------------
def test_the_image_runs_as_the_task_definitions_uid(image):
    result = run_once(image, command=python("import os; print(f'{os.getuid()}:{os.getgid()}')"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == CONTAINER["user"] == "10001:10001"


def test_writing_outside_the_task_volumes_fails_read_only(image):
    mounts = mount_options(TASK_DEFINITION, CONTAINER)
    writable = CONTAINER["mountPoints"][0]["containerPath"]
    code = (
        f"open('{writable}/ok', 'w').write('x'); print('volume writable'); "
        "open('/app/not-here', 'w')"
    )
    result = run_once(image, "--read-only", *mounts, command=python(code))
    assert "volume writable" in result.stdout
    assert result.returncode != 0
    assert "Read-only file system" in result.stderr


def test_a_container_past_its_memory_limit_is_killed_with_137(image):
    limits = resource_options(TASK_DEFINITION, CONTAINER)
    memory_mib = int(TASK_DEFINITION["memory"])
    # Bytes actually written (not a lazily zeroed buffer), twice the limit.
    code = f"b = b'x' * ({2 * memory_mib} * 2**20); print('survived')"
    result = run_once(image, *limits, command=python(code))
    assert result.returncode == 137
    assert "survived" not in result.stdout


def test_without_configuration_it_exits_4_naming_what_is_missing(image):
    result = run_once(image)
    assert result.returncode == 4
    assert "cannot start: invalid configuration" in result.stdout + result.stderr
    assert "PENDING_QUEUE_URL" in result.stdout + result.stderr


# -- under the local runtime, ENGINE=docker ---------------------------------------------------------
def test_whoami_in_the_container_is_the_task_role_from_container_role(docker_runtime):
    state = docker_runtime.state
    assert_whoami_is_the_task_role(state)


def test_sqs_send_and_receive_work_from_the_container(docker_runtime):
    state = docker_runtime.state
    sent = api(state, "POST", "/messages", json={"body": "from the real container"})
    assert sent.status_code in (200, 201, 202), sent.text
    received = api(state, "GET", "/messages?queue=pending&wait=2")
    assert received.status_code == 200, received.text
    assert "from the real container" in json.dumps(received.json())


def test_docker_inspect_shows_the_task_definitions_user_root_limits_and_labels(docker_runtime):
    state = docker_runtime.state
    info = inspect(container_name(state))
    assert info["Config"]["User"] == CONTAINER["user"]
    assert info["HostConfig"]["ReadonlyRootfs"] is CONTAINER["readonlyRootFilesystem"]
    assert info["HostConfig"]["Memory"] == int(TASK_DEFINITION["memory"]) * 2**20
    assert info["HostConfig"]["NanoCpus"] == int(TASK_DEFINITION["cpu"]) * 10**9 // 1024
    assert info["HostConfig"]["NetworkMode"] == "host"
    labels = info["Config"]["Labels"]
    assert labels["com.amazonaws.ecs.task-arn"] == state["task_arn"]
    assert labels["com.amazonaws.ecs.container-name"] == state["container_name"]
    assert labels["com.amazonaws.ecs.cluster"] == state["cluster_arn"]
    family, revision = state["task_definition_arn"].rsplit("/", 1)[1].split(":")
    assert labels["com.amazonaws.ecs.task-definition-family"] == family
    assert labels["com.amazonaws.ecs.task-definition-version"] == revision


def test_dockers_own_health_status_becomes_healthy(docker_runtime):
    # The runtime reports HEALTHY at its first `docker exec` check; Docker's status follows after
    # one interval (15 s), since Docker 20.10 has no start interval.
    name = container_name(docker_runtime.state)
    wait_for(
        lambda: inspect(name)["State"]["Health"]["Status"] == "healthy",
        "Docker's health status healthy",
        timeout=60,
    )


def test_no_secret_reaches_the_docker_command_line(docker_runtime):
    info = inspect(container_name(docker_runtime.state))
    assert not any(arg.startswith("API_KEY") for arg in info["Args"] + info["Config"]["Cmd"])
    # Names only: the values are secrets and must not reach a failure message.
    names = {item.split("=", 1)[0] for item in info["Config"]["Env"]}
    # Passed through the env-file: present in the container, never as a `docker run` argument.
    assert {"API_KEY", "AWS_CONTAINER_AUTHORIZATION_TOKEN"} <= names


def answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def test_demo_env_works_once_readyz_answers_and_sigterm_stops_the_container_with_exit_0(
    image, tmp_path
):
    """A user's script: wait for /readyz, run demo-env; then Ctrl-C stops and removes the container."""
    runtime = RuntimeProcess(tmp_path, ("--engine", "docker"), name="the docker runtime").start()
    try:
        state = wait_for(
            lambda: runtime.state_file.exists() and read_json(runtime.state_file), "state", 60
        )
        wait_for(lambda: answers(state["service_url"] + "/readyz"), "/readyz answering", timeout=60)
        env = subprocess.run(
            [sys.executable, "-m", "ecslocal", "env", "--state-file", str(runtime.state_file)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert env.returncode == 0, env.stderr
        assert "export ECS_CONTAINER_METADATA_URI_V4=" in env.stdout
        name = container_name(state)
        started = time.monotonic()
        runtime.send(signal.SIGTERM)
        runtime.wait_exit(timeout=CONTAINER["stopTimeout"] + 30)
        elapsed = time.monotonic() - started
    finally:
        runtime.stop()
    assert f"container {state['container_name']} stopped: exit code 0" in runtime.output()
    assert elapsed < CONTAINER["stopTimeout"]
    assert docker("ps", "--all", "--quiet", "--filter", f"name={name}").stdout.strip() == ""


def read_json(path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def test_the_console_shows_the_containers_task_and_both_roles(docker_runtime):
    state = docker_runtime.state
    console = requests.get(
        f"{state['console_url']}api/state", headers={"X-Api-Key": state["api_key"]}, timeout=30
    ).json()
    assert (console["task"]["task_id"], console["task"]["health"]) == (state["task_id"], "HEALTHY")
    assert console["task_role"]["whoami"]["arn"] == (
        f"arn:aws:sts::{state['account_id']}:assumed-role/{CONTEXT.task_role_name}/{state['task_id']}"
    )
    assert console["execution_role"]["arn"].endswith(f":role/{CONTEXT.execution_role_name}")
