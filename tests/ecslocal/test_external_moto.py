"""``run --aws-endpoint`` against a bridged moto server, then ``endpoints`` for a container run elsewhere."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests

from artifacts.context import DeploymentContext
from artifacts.render import PROJECT_ROOT
from ecslocal.runtime_process import RuntimeProcess
from tests.support.processes import (
    clean_env,
    free_port,
    moto_server_process,
    stop,
    wait_for_http,
)

pytestmark = pytest.mark.integration
CONTEXT = DeploymentContext()


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "ecslocal", "moto-server", "--port", "0"],
        cwd=PROJECT_ROOT,
        env=clean_env(),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        endpoint = process.stdout.readline().strip()
        assert endpoint.startswith("http://127.0.0.1:"), endpoint
        yield endpoint
    finally:
        stop(process)


@pytest.fixture(scope="module")
def finished_run(moto_endpoint, tmp_path_factory) -> dict[str, Any]:
    """A whole run against the external server: its state, its whoami, then stopped."""
    runtime = RuntimeProcess(
        tmp_path_factory.mktemp("external"), ("--aws-endpoint", moto_endpoint), name="runtime"
    ).start()
    try:
        state = runtime.wait_ready()
        whoami = requests.get(
            state["service_url"] + "/whoami", headers={"X-Api-Key": state["api_key"]}, timeout=30
        ).json()
    finally:
        exit_status = runtime.stop()
    return {"state": state, "whoami": whoami, "exit_status": exit_status}


def test_run_uses_the_external_server_and_leaves_it_running(moto_endpoint, finished_run):
    assert finished_run["state"]["aws_endpoint"] == moto_endpoint
    assert finished_run["whoami"]["credentials"]["source"] == "container-role"
    assert finished_run["exit_status"] == 0
    assert requests.get(f"{moto_endpoint}/moto-api/", timeout=10).status_code == 200


def test_run_refuses_a_plain_moto_server_before_changing_anything_there(tmp_path):
    with moto_server_process() as plain:
        out = subprocess.run(
            [sys.executable, "-m", "ecslocal", "run", "--port", "0", "--aws-endpoint", plain,
             "--state-file", str(tmp_path / "state.json")],
            capture_output=True, text=True, cwd=PROJECT_ROOT, env=clean_env(), timeout=60,
        )  # fmt: skip
        iam = boto3.client(
            "iam",
            endpoint_url=plain,
            region_name=CONTEXT.region,
            aws_access_key_id="AKIAANYKEY",
            aws_secret_access_key="any",
        )
        assert iam.list_roles()["Roles"] == []  # not bootstrapped: still usable as it was
    assert out.returncode == 1
    assert "lacks the compatibility bridges" in out.stderr
    assert "python -m ecslocal moto-server" in out.stderr
    assert "Traceback" not in out.stderr + out.stdout
    assert "<html" not in out.stderr + out.stdout


def test_endpoints_serve_the_relative_uri_form_and_metadata(moto_endpoint, finished_run):
    agent = finished_run["state"]["agent"]
    port = free_port()
    task_id = "0123456789abcdef0123456789abcdef"
    process = subprocess.Popen(
        [sys.executable, "-m", "ecslocal", "endpoints", "--aws-endpoint", moto_endpoint,
         "--listen", f"127.0.0.1:{port}", "--credentials-id", "elsewhere", "--task-id", task_id],
        cwd=PROJECT_ROOT,
        env=clean_env(
            AWS_ACCESS_KEY_ID=agent["access_key_id"],
            AWS_SECRET_ACCESS_KEY=agent["secret_access_key"],
            AWS_REGION=CONTEXT.region,
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_http(f"{base}/", process=process)
        creds = requests.get(f"{base}/v2/credentials/elsewhere", timeout=10)
        assert creds.status_code == 200
        assert creds.json()["RoleArn"].endswith(f":role/{CONTEXT.task_role_name}")
        assert creds.json()["Expiration"].endswith("Z")
        assert requests.get(f"{base}/v2/credentials/other", timeout=10).status_code == 404
        task = requests.get(f"{base}/v4/{task_id}-1000000000/task", timeout=10).json()
        assert task["TaskARN"].endswith(f"/{task_id}")
        assert task["Family"] == CONTEXT.task_family
        assert task["Revision"] == "1"
        assert task["Containers"][0]["KnownStatus"] == "RUNNING"
    finally:
        stop(process)
    out, err = process.communicate()
    assert "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/v2/credentials/elsewhere" in out
    assert f"ECS_CONTAINER_METADATA_URI_V4={base}/v4/{task_id}-1000000000" in out
    assert "Traceback" not in err
