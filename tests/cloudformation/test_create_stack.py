"""The template creates a stack on a moto server (its own process) and every part moto models exists.

moto drops some properties and skips scaling and alarms: test_template.py asserts those on the
template itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest

from artifacts import DeploymentContext
from artifacts.template import render_template_text
from tests.support.processes import moto_server_process

REGION = "us-east-1"
CONTEXT = DeploymentContext(service="cfn", env="moto", region=REGION)


@pytest.fixture(scope="module")
def stack() -> Iterator[tuple[boto3.Session, str, dict[str, str]]]:
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    with moto_server_process() as endpoint:
        ec2 = session.client("ec2", endpoint_url=endpoint)
        (vpc,) = [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if v["IsDefault"]]
        subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
        cfn = session.client("cloudformation", endpoint_url=endpoint)
        parameters = {
            "ServiceName": CONTEXT.service,
            "EnvName": CONTEXT.env,
            "VpcId": vpc,
            "Subnets": ",".join(subnets),
        }
        cfn.create_stack(
            StackName="courier-moto",
            TemplateBody=render_template_text(),
            Capabilities=["CAPABILITY_NAMED_IAM"],
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        )
        (description,) = cfn.describe_stacks(StackName="courier-moto")["Stacks"]
        assert description["StackStatus"] == "CREATE_COMPLETE"
        outputs = {o["OutputKey"]: o["OutputValue"] for o in description["Outputs"]}

        def client(name: str):
            return session.client(name, endpoint_url=endpoint)

        yield client, outputs


def test_queues_are_encrypted_with_the_key_and_pending_redrives_to_the_dlq(stack) -> None:
    client, outputs = stack
    sqs = client("sqs")
    names = {url.rsplit("/", 1)[1] for url in sqs.list_queues()["QueueUrls"]}
    assert names == {*CONTEXT.queue_names, CONTEXT.dead_letter_queue_name}
    aliases = client("kms").list_aliases()["Aliases"]
    (key_id,) = [a["TargetKeyId"] for a in aliases if a["AliasName"] == CONTEXT.parameter_key_alias]
    pending = sqs.get_queue_attributes(
        QueueUrl=sqs.get_queue_url(QueueName=CONTEXT.pending_queue_name)["QueueUrl"],
        AttributeNames=["All"],
    )["Attributes"]
    redrive = json.loads(pending["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"] == CONTEXT.queue_arn(CONTEXT.dead_letter_queue_name)
    assert int(redrive["maxReceiveCount"]) == 5
    assert pending["KmsMasterKeyId"] == key_id
    assert outputs["PendingQueueUrl"].endswith(f"/{CONTEXT.pending_queue_name}")


def test_roles_carry_the_rendered_trust_and_policies(stack) -> None:
    client, outputs = stack
    iam = client("iam")
    for name, output in (
        (CONTEXT.execution_role_name, "ExecutionRoleArn"),
        (CONTEXT.task_role_name, "TaskRoleArn"),
    ):
        role = iam.get_role(RoleName=name)["Role"]
        assert role["Arn"] == outputs[output] == CONTEXT.role_arn(name)
        trust = role["AssumeRolePolicyDocument"]
        assert trust["Statement"][0]["Condition"]["StringEquals"] == {
            "aws:SourceAccount": CONTEXT.account_id
        }
    task_policies = iam.list_role_policies(RoleName=CONTEXT.task_role_name)["PolicyNames"]
    documents = [
        iam.get_role_policy(RoleName=CONTEXT.task_role_name, PolicyName=p)["PolicyDocument"]
        for p in task_policies
    ]
    effects = sorted(s["Effect"] for d in documents for s in d["Statement"])
    assert effects == ["Allow", "Deny"]


def test_log_group_key_repository_cluster_task_definition_and_service_exist(stack) -> None:
    client, outputs = stack
    (group,) = client("logs").describe_log_groups(logGroupNamePrefix=CONTEXT.log_group)["logGroups"]
    assert group["retentionInDays"] == 30
    assert outputs["LogGroupName"] == CONTEXT.log_group
    (repository,) = client("ecr").describe_repositories(repositoryNames=[CONTEXT.ecr_repository])[
        "repositories"
    ]
    assert repository["imageTagMutability"] == "IMMUTABLE"
    ecs = client("ecs")
    (cluster,) = ecs.describe_clusters(clusters=[CONTEXT.cluster_name])["clusters"]
    assert cluster["status"] == "ACTIVE"
    definition = ecs.describe_task_definition(taskDefinition=CONTEXT.task_family)["taskDefinition"]
    (container,) = definition["containerDefinitions"]
    assert container["secrets"] == [
        {
            "name": "API_KEY",
            "valueFrom": CONTEXT.arn("ssm", f"parameter{CONTEXT.api_key_parameter}"),
        }
    ]
    assert container["image"] == f"{CONTEXT.ecr_registry}/{CONTEXT.ecr_repository}:latest"
    (service,) = ecs.describe_services(cluster=CONTEXT.cluster_name, services=[CONTEXT.prefix])[
        "services"
    ]
    assert service["taskDefinition"] == definition["taskDefinitionArn"]
    assert service["desiredCount"] == 1
    assert outputs["ServiceUrl"].startswith("http://")
    assert outputs["ApiKeyParameter"] == CONTEXT.api_key_parameter
