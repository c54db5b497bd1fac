"""docker/compose.yaml, checked offline (no Docker engine here): it parses, refers only to files that
exist, runs what the task definition runs with the environment it renders to, and serves the
credentials endpoint at ECS's address. Nothing here starts a container."""

from __future__ import annotations

import importlib.metadata
import ipaddress
import re
import shutil
import subprocess
import sys
import tomllib
from typing import Any

import boto3
import pytest
import requests
import yaml

from artifacts.context import DeploymentContext
from artifacts.render import DOCKERFILE, render_artifacts
from ecsdeploy.cli import build_parser, resolve_inputs
from ecslocal.__main__ import build_parser as ecslocal_parser
from ecslocal.dockerfile import read_dockerfile
from ecslocal.standalone import FIRST_DOCKER_ID_SUFFIX
from tests.support.processes import PROJECT_ROOT, clean_env, free_port, stop, wait_for_http

COMPOSE = PROJECT_ROOT / "docker" / "compose.yaml"
ECS_ENDPOINTS_ADDRESS = "169.254.170.2"
ECS_LINK_LOCAL = ipaddress.ip_network("169.254.170.0/24")
# What ECS on Fargate sets in every container besides the task definition's environment.
ECS_PROVIDED = {
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "ECS_CONTAINER_METADATA_URI_V4",
}
STATIC_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def app(compose) -> dict[str, Any]:
    return compose["services"]["app"]


def option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def seconds(text: str) -> int:
    match = re.fullmatch(r"(\d+)s", str(text))
    assert match, text
    return int(match[1])


def rendered_for(app: dict[str, Any]):
    """The artifacts rendered the way compose runs them: queue URLs on the moto endpoint."""
    endpoint = app["environment"]["AWS_ENDPOINT_URL"]
    context = DeploymentContext(region=app["environment"]["AWS_REGION"], sqs_endpoint=endpoint)
    return render_artifacts(context)


def test_it_has_the_app_moto_bootstrap_and_endpoints(compose):
    assert set(compose["services"]) == {"app", "moto", "bootstrap", "endpoints"}


def test_every_build_context_dockerfile_and_mount_exists(compose):
    base = COMPOSE.parent
    for name, service in compose["services"].items():
        build = service.get("build")
        if build:
            context = (base / build["context"]).resolve()
            assert context == PROJECT_ROOT, name
            assert (context / build["dockerfile"]).resolve() == DOCKERFILE, name
            assert DOCKERFILE.is_file()
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            assert (base / source).resolve().exists(), (name, volume)


def test_moto_is_the_version_the_tests_pin(compose):
    pinned = re.search(
        r"^moto==([\w.]+)", (PROJECT_ROOT / "requirements" / "dev.txt").read_text(), re.M
    )
    assert pinned
    assert compose["services"]["moto"]["image"] == f"motoserver/moto:{pinned[1]}"


def test_the_app_runs_what_ecs_would_run(app):
    container = rendered_for(app).container
    image = read_dockerfile(DOCKERFILE)
    # The task definition overrides neither command nor entrypoint: the image's CMD runs, on ECS
    # and here alike.
    assert "command" not in container and "entryPoint" not in container
    assert "command" not in app and "entrypoint" not in app
    assert image.cmd, "the Dockerfile has no CMD"
    assert app["user"] == container["user"]
    assert app["read_only"] is container["readonlyRootFilesystem"]
    writable = {mount["containerPath"] for mount in container["mountPoints"]}
    assert set(app["tmpfs"]) == writable
    published = {int(port.rsplit(":", 1)[1]) for port in app["ports"]}
    assert published == {mapping["containerPort"] for mapping in container["portMappings"]}
    assert all(port.startswith("127.0.0.1:") for port in app["ports"])
    assert seconds(app["stop_grace_period"]) == container["stopTimeout"]
    health = container["healthCheck"]
    assert app["healthcheck"]["test"] == health["command"]
    for key, compose_key in (
        ("interval", "interval"),
        ("timeout", "timeout"),
        ("startPeriod", "start_period"),
    ):
        assert seconds(app["healthcheck"][compose_key]) == health[key]
    assert app["healthcheck"]["retries"] == health["retries"]


def test_the_app_environment_is_the_rendered_task_definition_plus_what_ecs_adds(app):
    container = rendered_for(app).container
    environment = app["environment"]
    task_environment = {item["name"]: item["value"] for item in container["environment"]}
    secrets = {item["name"] for item in container.get("secrets", [])}

    for name, value in task_environment.items():
        assert environment[name] == value, name
    assert secrets <= set(environment)
    assert set(environment) == set(task_environment) | secrets | ECS_PROVIDED | {"AWS_ENDPOINT_URL"}
    assert not STATIC_CREDENTIALS & set(environment)
    assert environment["AWS_REGION"] == container["logConfiguration"]["options"]["awslogs-region"]
    assert environment["AWS_EXECUTION_ENV"] == "AWS_ECS_FARGATE"


def test_the_credentials_and_metadata_endpoints_sit_where_ecs_puts_them(compose, app):
    network = compose["networks"]["ecs"]["ipam"]["config"][0]
    assert ipaddress.ip_network(network["subnet"]) == ECS_LINK_LOCAL
    dynamic = ipaddress.ip_network(network["ip_range"])
    assert dynamic.subnet_of(ECS_LINK_LOCAL)
    assert ipaddress.ip_address(ECS_ENDPOINTS_ADDRESS) not in dynamic

    endpoints = compose["services"]["endpoints"]
    assert endpoints["networks"]["ecs"]["ipv4_address"] == ECS_ENDPOINTS_ADDRESS
    assert "ecs" in app["networks"]
    argv = endpoints["command"]
    assert argv[:4] == ["python", "-m", "ecslocal", "endpoints"]
    # The RELATIVE_URI form means http://169.254.170.2:80 + the path, with no token.
    assert option(argv, "--listen") == "0.0.0.0:80"
    environment = app["environment"]
    credentials_id = option(argv, "--credentials-id")
    assert (
        environment["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] == f"/v2/credentials/{credentials_id}"
    )
    assert "AWS_CONTAINER_CREDENTIALS_FULL_URI" not in environment
    assert "AWS_CONTAINER_AUTHORIZATION_TOKEN" not in environment
    task_id = option(argv, "--task-id")
    assert environment["ECS_CONTAINER_METADATA_URI_V4"] == (
        f"http://{ECS_ENDPOINTS_ADDRESS}/v4/{task_id}-{FIRST_DOCKER_ID_SUFFIX}"
    )
    assert endpoints["healthcheck"]["test"][-1].endswith(
        f"http://127.0.0.1/v2/credentials/{credentials_id}')"
    )
    assert app["depends_on"]["endpoints"]["condition"] == "service_healthy"


def test_every_aws_client_points_at_the_moto_service(compose, app):
    moto_url = app["environment"]["AWS_ENDPOINT_URL"]
    host, port = re.fullmatch(r"http://([\w-]+):(\d+)", moto_url).groups()
    assert host in compose["services"]
    assert any(p.endswith(f":{port}") for p in compose["services"][host]["ports"])
    assert option(compose["services"]["endpoints"]["command"], "--aws-endpoint") == moto_url
    assert option(compose["services"]["bootstrap"]["command"], "--endpoint-url") == moto_url
    assert app["depends_on"]["bootstrap"]["condition"] == "service_completed_successfully"


def test_the_bootstrap_and_endpoints_commands_are_ones_the_project_accepts(compose):
    bootstrap = compose["services"]["bootstrap"]
    argv = bootstrap["command"]
    assert argv[:3] == ["python", "-m", "ecsdeploy"]
    args = build_parser().parse_args(argv[3:])
    inputs = resolve_inputs(args, dict(bootstrap["environment"]))
    assert inputs.endpoint_url == option(argv, "--endpoint-url")
    assert not inputs.settings.wait  # moto never starts a task
    assert not STATIC_CREDENTIALS & set(compose["services"]["app"]["environment"])

    endpoints_argv = compose["services"]["endpoints"]["command"]
    parsed = ecslocal_parser().parse_args(endpoints_argv[3:])  # an unknown flag exits here
    assert parsed.command == "endpoints"
    assert parsed.aws_endpoint == option(endpoints_argv, "--aws-endpoint")


def distribution_name(requirement: str) -> str:
    """``moto[server]>=5.2`` -> ``moto``, normalised as package indexes compare names."""
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_the_bootstrap_and_endpoints_code_needs_only_the_images_runtime_dependencies():
    """Both run in the app's image, which holds requirements/runtime.txt and nothing more."""
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    runtime = {distribution_name(r) for r in project["dependencies"]}
    dev_only = {distribution_name(r) for r in project["optional-dependencies"]["dev"]} - runtime
    blocked = sorted(
        module
        for module, distributions in importlib.metadata.packages_distributions().items()
        if all(distribution_name(d) in dev_only for d in distributions)
    )
    assert "moto" in blocked and "yaml" in blocked
    script = (
        f"import sys; sys.modules.update(dict.fromkeys({blocked!r}))\n"
        "import ecsdeploy.cli, ecslocal.__main__, ecslocal.standalone\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT, env=clean_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


@pytest.mark.integration
def test_docker_compose_accepts_the_file(tmp_path):
    if shutil.which("docker") is None:
        pytest.skip("no docker command on this machine")
    probe = subprocess.run(
        ["docker", "compose", "version"], capture_output=True, text=True, check=False
    )
    if probe.returncode != 0:
        pytest.skip("the docker compose plugin is not installed on this machine")

    result = subprocess.run(
        ["docker", "compose", "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )

    assert result.returncode == 0, result.stderr


@pytest.mark.integration
def test_the_compose_commands_set_up_moto_and_serve_the_task_role_without_docker(
    compose, app, moto_endpoint, tmp_path
):
    """What the containers run, run here as processes: the bootstrap command against a moto server,
    then the endpoints command, asked for credentials and metadata the way the app would."""
    moto_url = app["environment"]["AWS_ENDPOINT_URL"]
    port = free_port()

    def here(argv: list[str]) -> list[str]:
        replaced = [moto_endpoint if arg == moto_url else arg for arg in argv]
        if "--listen" in replaced:
            replaced[replaced.index("--listen") + 1] = f"127.0.0.1:{port}"
        assert replaced[0] == "python"
        return [sys.executable, *replaced[1:]]

    def env_of(service: str) -> dict[str, str]:
        return clean_env(
            **compose["services"][service]["environment"],
            AWS_CONFIG_FILE=str(tmp_path / "none"),
            AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        )

    bootstrap = subprocess.run(
        here(compose["services"]["bootstrap"]["command"]),
        cwd=PROJECT_ROOT,
        env=env_of("bootstrap"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert bootstrap.returncode == 0, bootstrap.stdout + bootstrap.stderr
    sqs = boto3.client(
        "sqs", endpoint_url=moto_endpoint, region_name=app["environment"]["AWS_REGION"],
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip
    for variable in ("PENDING_QUEUE_URL", "CONFIRMED_QUEUE_URL"):
        name = app["environment"][variable].rsplit("/", 1)[-1]
        assert sqs.get_queue_url(QueueName=name)["QueueUrl"].endswith(name)

    endpoints = subprocess.Popen(
        here(compose["services"]["endpoints"]["command"]),
        cwd=PROJECT_ROOT,
        env=env_of("endpoints"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        credentials_url = base + app["environment"]["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"]
        wait_for_http(credentials_url, process=endpoints)
        credentials = requests.get(credentials_url, timeout=10).json()
        metadata_path = app["environment"]["ECS_CONTAINER_METADATA_URI_V4"].split(
            ECS_ENDPOINTS_ADDRESS, 1
        )[1]
        task = requests.get(f"{base}{metadata_path}/task", timeout=10).json()
    finally:
        stop(endpoints)

    role = app["environment"]["EXPECTED_TASK_ROLE_NAME"]
    assert credentials["RoleArn"].endswith(f":role/{role}")
    assert credentials["AccessKeyId"] and credentials["Expiration"].endswith("Z")
    assert task["Family"] == rendered_for(app).task_definition["family"]
