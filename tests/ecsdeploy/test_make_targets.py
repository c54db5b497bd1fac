"""The make targets: variables reach the CLI, and image/push stop clearly without a Docker engine."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from artifacts.context import DeploymentContext
from artifacts.render import render_artifacts
from ecsdeploy.cli import build_parser, resolve_inputs
from ecsdeploy.image import NO_ENGINE, target_platform
from ecslocal.image import NO_ENGINE as IMAGE_NO_ENGINE
from tests.ecsdeploy.conftest import REGION, operator_env, run_cli
from tests.support.processes import PROJECT_ROOT, clean_env

DEPLOY_MK = PROJECT_ROOT / "mk" / "deploy.mk"
# `-o install`: the tests never (re)install the virtualenv; that `install` is a prerequisite of each
# target is checked on the file itself.
MAKE = ["make", "--no-print-directory", "-o", "install"]


def make(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*MAKE, *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip


def test_every_deploy_target_depends_on_install_and_is_documented():
    text = DEPLOY_MK.read_text()
    for target in ("plan", "deploy", "destroy", "push"):  # `make image`: mk/image.mk
        assert re.search(rf"^{target}: install ## \S", text, re.MULTILINE), target


@pytest.mark.integration
def test_make_variables_become_cli_arguments(tmp_path):
    result = make(
        "-n", "deploy", "REGION=eu-west-1", "SUBNETS=subnet-0123456789abcdef0,subnet-0123456789abcdef1",
        "SECURITY_GROUPS=sg-0123456789abcdef0", "CLUSTER=shared", "WAIT=0", "MIN_TASKS=2",
        "MAX_TASKS=8", "TAG=abc123", "PUBLIC_IP=1", "SERVICE_NAME=courier", "ENV_NAME=prod",
        env=clean_env(),
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    command = result.stdout.strip().splitlines()[-1]
    for expected in (
        "-m ecsdeploy deploy",
        '--region "eu-west-1"',
        '--subnets "subnet-0123456789abcdef0,subnet-0123456789abcdef1"',
        '--security-groups "sg-0123456789abcdef0"',
        '--cluster "shared"',
        "--no-wait",
        '--min-tasks "2"',
        '--max-tasks "8"',
        '--image-tag "abc123"',
        "--assign-public-ip",
        '--service "courier"',
        '--env "prod"',
    ):
        assert expected in command, expected
    destroy = make("-n", "destroy", "YES=1", env=clean_env()).stdout
    assert "--yes" in destroy
    assert "--yes" not in make("-n", "destroy", env=clean_env()).stdout
    assert "--no-wait" not in make("-n", "deploy", env=clean_env()).stdout


@pytest.mark.integration
@pytest.mark.parametrize("command", ["image", "push"])
def test_without_a_docker_engine_image_and_push_say_so(command, monkeypatch, tmp_path):
    operator_env(monkeypatch, "http://127.0.0.1:9", tmp_path)
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")

    result = run_cli(command, "--image-tag", "abc123")

    assert result.code == 1
    assert NO_ENGINE in result.err
    assert "Traceback" not in result.text


def test_without_the_docker_command_image_says_so(monkeypatch, tmp_path):
    operator_env(monkeypatch, "http://127.0.0.1:9", tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))

    result = run_cli("image")

    assert result.code == 1
    assert "the docker command is not installed" in result.err


@pytest.mark.integration
def test_make_image_without_an_engine_fails_with_the_message(tmp_path):
    env = clean_env(DOCKER_HOST=f"unix://{tmp_path}/no-docker.sock", PATH=os.environ["PATH"])

    result = make("image", "TAG=abc123", env=env)

    assert result.returncode != 0
    assert IMAGE_NO_ENGINE in result.stderr


@pytest.mark.integration
def test_make_plan_deploy_destroy_against_moto(moto_endpoint, vpc, tmp_path):
    env = clean_env(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        PATH=os.environ["PATH"],
    )
    variables = [
        f"REGION={REGION}", f"ENDPOINT_URL={moto_endpoint}", "SERVICE_NAME=viamake",
        "ENV_NAME=ci", f"SUBNETS={','.join(vpc.subnets)}", f"SECURITY_GROUPS={vpc.security_group}",
        "WAIT=0",
    ]  # fmt: skip

    planned = make("plan", *variables, env=env)
    deployed = make("deploy", *variables, env=env)
    destroyed = make("destroy", *variables, "YES=1", env=env)

    assert planned.returncode == 0, planned.stderr
    assert "Plan for viamake-ci" in planned.stdout
    assert deployed.returncode == 0, deployed.stderr
    assert "done: create ecs service viamake-ci" in deployed.stdout
    assert destroyed.returncode == 0, destroyed.stderr
    assert "Destroyed" in destroyed.stdout


def test_the_image_is_built_for_the_task_definitions_platform(monkeypatch, tmp_path):
    operator_env(monkeypatch, "http://127.0.0.1:9", tmp_path)
    args = build_parser().parse_args(["image"])
    inputs = resolve_inputs(args, {"AWS_REGION": REGION})
    runtime = render_artifacts(DeploymentContext()).task_definition["runtimePlatform"]

    platform = target_platform(inputs)

    assert platform.startswith(runtime["operatingSystemFamily"].lower() + "/")
    assert platform.endswith({"X86_64": "/amd64", "ARM64": "/arm64"}[runtime["cpuArchitecture"]])
