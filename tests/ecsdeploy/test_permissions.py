"""AccessDenied names the missing permission; a deploy that stopped half-way resumes on the next run.

A moto server of its own with IAM enforcement on: operators whose policy denies one action.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import pytest
import requests

from artifacts.render import EXECUTION_POLICY
from ecsdeploy.desired import inline_policy_name
from ecsdeploy.tags import deployment_ownership
from tests.ecsdeploy.conftest import REGION, new_context, operator_env, run_cli
from tests.ecsdeploy.inspect_aws import queue_url, role_exists
from tests.support.processes import moto_server_process

pytestmark = pytest.mark.integration

# Operators: each may do everything but the actions listed.
DENIED = {
    "admin": [],
    "no-put-role-policy": ["iam:PutRolePolicy"],
    "no-create-alias": ["kms:CreateAlias"],
}


@dataclass(frozen=True)
class EnforcedAccount:
    endpoint: str
    keys: dict[str, tuple[str, str]]
    subnet: str
    security_group: str


@pytest.fixture(scope="module")
def enforced() -> Iterator[EnforcedAccount]:
    with moto_server_process() as endpoint:
        root = boto3.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        )
        iam = root.client("iam", endpoint_url=endpoint)
        keys = {}
        for user, denied in DENIED.items():
            statements = [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
            if denied:
                statements.append({"Effect": "Deny", "Action": denied, "Resource": "*"})
            iam.create_user(UserName=user)
            iam.put_user_policy(
                UserName=user,
                PolicyName="operator",
                PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
            )
            key = iam.create_access_key(UserName=user)["AccessKey"]
            keys[user] = (key["AccessKeyId"], key["SecretAccessKey"])
        ec2 = root.client("ec2", endpoint_url=endpoint)
        vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
        group = ec2.create_security_group(GroupName="t", Description="t", VpcId=vpc)["GroupId"]
        switched = requests.post(f"{endpoint}/moto-api/reset-auth", data=b"0", timeout=10)
        switched.raise_for_status()
        yield EnforcedAccount(endpoint, keys, subnet, group)


def as_operator(monkeypatch, enforced: EnforcedAccount, user: str, tmp_path) -> boto3.Session:
    operator_env(monkeypatch, enforced.endpoint, tmp_path)
    key_id, secret = enforced.keys[user]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    return boto3.Session(aws_access_key_id=key_id, aws_secret_access_key=secret, region_name=REGION)


def our_keys(session: boto3.Session, endpoint: str, context) -> list[str]:
    tagging = session.client("resourcegroupstaggingapi", endpoint_url=endpoint)
    found = tagging.get_resources(
        TagFilters=deployment_ownership(context).as_filters(), ResourceTypeFilters=["kms:key"]
    )
    return [mapping["ResourceARN"] for mapping in found["ResourceTagMappingList"]]


def test_access_denied_names_the_permission_and_a_rerun_resumes(enforced, monkeypatch, tmp_path):
    context = new_context()
    args = ["--service", context.service, "--env", context.env, "--subnets", enforced.subnet,
            "--security-groups", enforced.security_group, "--no-wait"]  # fmt: skip
    as_operator(monkeypatch, enforced, "no-put-role-policy", tmp_path)

    failed = run_cli("deploy", *args)

    assert failed.code == 1, failed.text
    role_arn = context.role_arn(context.execution_role_name)
    assert f"missing permission iam:PutRolePolicy on {role_arn}" in failed.err
    policy = f"{context.execution_role_name}/{inline_policy_name(EXECUTION_POLICY)}"
    done, not_done = failed.err.split("not done (")
    assert f"create   sqs queue {context.pending_queue_name}" in done
    assert f"create   iam role {context.execution_role_name}" in done
    assert f"create   iam role policy {policy}" in not_done
    assert f"create   ecs service {context.prefix}" in not_done
    assert "Traceback" not in failed.text
    session = as_operator(monkeypatch, enforced, "admin", tmp_path)
    aws_sqs = session.client("sqs", endpoint_url=enforced.endpoint)
    assert aws_sqs.get_queue_url(QueueName=context.pending_queue_name)["QueueUrl"]

    resumed = run_cli("deploy", *args)

    assert resumed.code == 0, resumed.text
    assert f"create   sqs queue {context.pending_queue_name}" not in resumed.out
    assert f"create   iam role {context.execution_role_name}:" not in resumed.out
    assert f"done: create iam role policy {policy}" in resumed.out
    assert len(our_keys(session, enforced.endpoint, context)) == 1
    assert "No changes" in run_cli("plan", *args).out


def test_a_key_created_without_its_alias_is_reused_by_the_next_run(enforced, monkeypatch, tmp_path):
    context = new_context()
    args = ["--service", context.service, "--env", context.env, "--subnets", enforced.subnet,
            "--security-groups", enforced.security_group, "--no-wait"]  # fmt: skip
    as_operator(monkeypatch, enforced, "no-create-alias", tmp_path)

    failed = run_cli("deploy", *args)

    assert failed.code == 1
    assert "missing permission kms:CreateAlias" in failed.err
    session = as_operator(monkeypatch, enforced, "admin", tmp_path)
    first_key = our_keys(session, enforced.endpoint, context)
    assert len(first_key) == 1

    resumed = run_cli("deploy", *args)

    assert resumed.code == 0, resumed.text
    assert "create   kms alias" in resumed.out
    assert "for our existing key" in resumed.out
    assert our_keys(session, enforced.endpoint, context) == first_key
    kms = session.client("kms", endpoint_url=enforced.endpoint)
    alias_target = kms.describe_key(KeyId=context.parameter_key_alias)["KeyMetadata"]["Arn"]
    assert [alias_target] == first_key
    assert queue_url_exists(session, enforced.endpoint, context.pending_queue_name)
    assert role_exists_as(session, enforced.endpoint, context.task_role_name)


def queue_url_exists(session: boto3.Session, endpoint: str, name: str) -> bool:
    class Clients:
        sqs = session.client("sqs", endpoint_url=endpoint)

    return queue_url(Clients(), name) is not None


def role_exists_as(session: boto3.Session, endpoint: str, name: str) -> bool:
    class Clients:
        iam = session.client("iam", endpoint_url=endpoint)

    return role_exists(Clients(), name)
