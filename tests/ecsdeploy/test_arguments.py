"""Bad arguments: one clear message naming the argument, exit status 2, no traceback, no AWS call."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.ecsdeploy.conftest import operator_env, run_cli
from tests.support.processes import PROJECT_ROOT, clean_env

# Nothing listens here: a check that slipped through to AWS would fail with exit 1, not 2.
NO_AWS = "http://127.0.0.1:9"
SUBNET = "subnet-0123456789abcdef0"


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    operator_env(monkeypatch, NO_AWS, tmp_path)


BAD_ARGUMENTS = [
    (["deploy", "--subnets", SUBNET, "--region", "xx-nowhere-1"], "unknown region 'xx-nowhere-1'"),
    (["plan", "--region", "moon"], "unknown region 'moon'"),
    (["destroy", "--yes", "--region", "eu-west-99"], "unknown region 'eu-west-99'"),
    (["deploy", "--subnets", SUBNET, "--account-id", "12345"], "malformed account id '12345'"),
    (["plan", "--account-id", "12345678901a"], "malformed account id '12345678901a'"),
    (["destroy", "--account-id", "1234567890123"], "malformed account id '1234567890123'"),
    (["deploy"], "missing subnets"),
    (["deploy", "--subnets", " , "], "missing subnets"),
    (["deploy", "--subnets", "subnet-xyz"], "bad subnet id 'subnet-xyz'"),
    (["deploy", "--subnets", f"default,{SUBNET}"], "--subnets default stands alone"),
    (["deploy", "--subnets", "sg-0123456789abcdef0"], "bad subnet id 'sg-0123456789abcdef0'"),
    (["plan", "--subnets", f"{SUBNET},subnet-12"], "bad subnet id 'subnet-12'"),
    (["plan", "--security-groups", "sg-nothex!!"], "bad security group id 'sg-nothex!!'"),
    (["plan", "--min-tasks", "0"], "must be at least 1"),
    (["plan", "--min-tasks", "5", "--max-tasks", "2"], "max tasks 2 is below min tasks 5"),
    (["plan", "--min-tasks", "many"], "min tasks 'many' is not a whole number"),
    (["plan", "--max-tasks", "-3"], "max tasks '-3' is not a whole number"),
    (["plan", "--max-tasks", "100000"], "max tasks 100000 is above"),
    (["plan", "--service", "Courier_App"], "service name 'Courier_App'"),
    (["destroy", "--env=-dev"], "env name '-dev'"),
    (["plan", "--image", "courier:latest"], "bad image reference 'courier:latest'"),
    (["plan", "--image-tag", "v1 beta"], "bad image tag 'v1 beta'"),
    (["plan", "--image", "r.example/x:1", "--image-tag", "2"], "not both"),
    (["plan", "--log-retention-days", "8"], "log retention 8 days"),
    (["plan", "--policies", "/nonexistent/policies"], "no such file"),
    (["plan", "--taskdef", "/nonexistent/taskdef.json"], "no such file"),
    (["plan", "--cluster", "my cluster"], "bad cluster name 'my cluster'"),
    (["plan", "--wait-timeout", "0"], "--wait-timeout must be above 0"),
    (["plan", "--wait-timeout", "nan"], "--wait-timeout must be above 0"),
    (["plan", "--profile", "no-such-profile"], "unknown profile 'no-such-profile'"),
]


@pytest.mark.parametrize(("args", "message"), BAD_ARGUMENTS)
def test_bad_argument_is_named_and_exits_2(offline, args, message):
    result = run_cli(*args)

    assert result.code == 2, result.text
    assert message in result.err
    assert result.err.startswith("ecsdeploy: error: ")
    assert "Traceback" not in result.text
    assert result.out == ""


def test_no_region_anywhere_is_named(offline, monkeypatch):
    monkeypatch.delenv("AWS_REGION")

    result = run_cli("plan")

    assert result.code == 2
    assert "no region: pass --region" in result.err


def test_an_unknown_aws_profile_from_the_environment_is_named(offline, monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "profile-from-the-shell")

    result = run_cli("plan")

    assert result.code == 2
    assert "unknown profile 'profile-from-the-shell'" in result.err


def test_bad_task_count_from_the_environment_is_named(offline, monkeypatch):
    monkeypatch.setenv("MIN_TASKS", "two")

    result = run_cli("plan")

    assert result.code == 2
    assert "min tasks 'two' is not a whole number" in result.err


@pytest.mark.integration
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["deploy", "--subnets", SUBNET, "--region", "nowhere-9"], "unknown region"),
        (["deploy", "--account-id", "abc"], "malformed account id"),
        (["deploy"], "missing subnets"),
        (["explode"], "invalid choice: 'explode'"),
        (["plan", "--min-tasks"], "expected one argument"),
    ],
)
def test_the_command_line_exits_2_without_a_traceback(args, message, tmp_path):
    env = clean_env(
        AWS_REGION="eu-west-1",
        AWS_ENDPOINT_URL=NO_AWS,
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
    )

    result = subprocess.run(
        [sys.executable, "-m", "ecsdeploy", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.integration
class TestArgumentsCheckedAgainstTheAccount:
    """Arguments that are well formed but wrong for the account: still exit 2, before any change."""

    def test_a_subnet_that_does_not_exist_is_named(self, cli, context, vpc):
        result = cli("deploy", "--service", context.service, "--subnets", SUBNET)

        assert result.code == 2, result.text
        assert SUBNET in result.err
        assert "bad subnets in region us-east-1" in result.err

    def test_a_security_group_of_another_vpc_is_named(self, cli, aws, context, vpc):
        other_vpc = aws.ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
        group = aws.ec2.create_security_group(
            GroupName="elsewhere", Description="other vpc", VpcId=other_vpc
        )["GroupId"]

        result = cli(
            "deploy", "--service", context.service, "--subnets", vpc.subnets[0],
            "--security-groups", group,
        )  # fmt: skip

        assert result.code == 2, result.text
        assert f"security groups {group} are not in {vpc.vpc_id}" in result.err

    def test_subnets_in_two_vpcs_are_refused(self, cli, aws, context, vpc):
        default_subnet = next(
            s["SubnetId"] for s in aws.ec2.describe_subnets()["Subnets"] if s["VpcId"] != vpc.vpc_id
        )

        result = cli("plan", "--subnets", f"{vpc.subnets[0]},{default_subnet}")

        assert result.code == 2
        assert "subnets must all be in one VPC" in result.err

    def test_an_account_id_other_than_the_credentials_is_refused(self, cli, context, vpc):
        result = cli("plan", "--service", context.service, "--account-id", "111122223333")

        assert result.code == 2
        assert "--account-id 111122223333 does not match the account of your credentials" in (
            result.err
        )
