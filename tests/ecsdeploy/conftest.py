"""Fixtures for the deploy tooling: a moto server in its own process, a VPC in it, and a CLI runner.

Each test deploys under its own service name, so tests share one moto server without sharing
resources (the ECR repository is named after the service).
"""

from __future__ import annotations

import contextlib
import io
import itertools
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest

from artifacts.context import DeploymentContext
from ecsdeploy.cli import main
from tests.support.processes import moto_server_process

REGION = "us-east-1"
_names = itertools.count(1)


@dataclass(frozen=True)
class Vpc:
    vpc_id: str
    subnets: tuple[str, ...]
    security_group: str


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    with moto_server_process() as endpoint:
        yield endpoint


def admin_session() -> boto3.Session:
    return boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )


@pytest.fixture(scope="session")
def vpc(moto_endpoint: str) -> Vpc:
    ec2 = admin_session().client("ec2", endpoint_url=moto_endpoint)
    vpc_id = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    subnets = tuple(
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.42.{i}.0/24")["Subnet"]["SubnetId"]
        for i in (1, 2)
    )
    group = ec2.create_security_group(
        GroupName="courier-tasks", Description="service tasks", VpcId=vpc_id
    )["GroupId"]
    return Vpc(vpc_id, subnets, group)


def operator_env(monkeypatch: pytest.MonkeyPatch, endpoint: str, scratch: Path) -> None:
    """The operator's environment: static keys, a region, AWS_ENDPOINT_URL at ``endpoint``,
    and no AWS config files or profile of the machine's."""
    for name in (
        "AWS_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_DEFAULT_REGION",
        "MIN_TASKS",
        "MAX_TASKS",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(scratch / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(scratch / "no-credentials"))


def run_cli(*args: str, stdin: str = "") -> Result:
    """``python -m ecsdeploy ARGS`` in this process, with its output captured."""
    out, err = io.StringIO(), io.StringIO()
    with (
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(list(args))
    return Result(code, out.getvalue(), err.getvalue())


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, moto_endpoint: str, tmp_path: Path) -> str:
    operator_env(monkeypatch, moto_endpoint, tmp_path)
    return moto_endpoint


def new_context() -> DeploymentContext:
    """A deployment of its own (names only; the key id is the placeholder)."""
    return DeploymentContext(service=f"svc{next(_names)}", env="test", region=REGION)


@pytest.fixture
def context() -> DeploymentContext:
    return new_context()


@pytest.fixture
def aws(moto_endpoint: str):
    """Clients on the moto server, for looking at what the tool did."""

    session = admin_session()

    class Clients:
        def new(self, name: str):
            """A client of its own (not shared with other helpers)."""
            return session.client(name, endpoint_url=moto_endpoint)

        def __getattr__(self, name: str):
            client = session.client(name.replace("_", "-"), endpoint_url=moto_endpoint)
            setattr(self, name, client)
            return client

    return Clients()


@pytest.fixture
def cli(aws_env: str):
    """Run ``python -m ecsdeploy`` in-process as the operator; return its status and output."""
    return run_cli


def deployment_args(context: DeploymentContext, vpc: Vpc) -> list[str]:
    """Arguments naming a deployment and its network, without waiting (moto runs no task)."""
    return [
        "--service",
        context.service,
        "--env",
        context.env,
        "--subnets",
        ",".join(vpc.subnets),
        "--security-groups",
        vpc.security_group,
        "--no-wait",
    ]


@pytest.fixture
def deploy_args(context: DeploymentContext, vpc: Vpc) -> list[str]:
    return deployment_args(context, vpc)


@pytest.fixture
def names_args(context: DeploymentContext) -> list[str]:
    return ["--service", context.service, "--env", context.env]
