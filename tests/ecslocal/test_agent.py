"""The agent's execution-role work against in-process moto (no enforcement: the calls and errors)."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from artifacts.context import DeploymentContext
from artifacts.render import render_artifacts
from ecslocal.agent import (
    EcrImage,
    ExecutionAgent,
    TaskStartError,
    aws_error_message,
    describe_client_error,
)
from ecslocal.task import LocalTask

REGION = "us-east-1"
CONTEXT = DeploymentContext()
MANIFEST = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {},
        "layers": [],
    }
)


@pytest.fixture
def aws():
    with mock_aws():
        yield lambda name: boto3.client(name, region_name=REGION)


@pytest.fixture
def agent(aws) -> ExecutionAgent:
    return ExecutionAgent(aws, REGION)


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        (
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/courier:latest",
            EcrImage("123456789012", "courier", "latest", None),
        ),
        (
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app",
            EcrImage("123456789012", "team/app", "latest", None),
        ),
        (
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:" + "a" * 64,
            EcrImage("123456789012", "app", None, "sha256:" + "a" * 64),
        ),
        ("public.ecr.aws/nginx/nginx:1", None),
        ("python:3.11", None),
    ],
)
def test_image_references_are_split_into_their_ecr_parts(image, expected):
    assert EcrImage.parse(image) == expected


def test_an_image_outside_ecr_needs_no_execution_role_call(agent):
    assert agent.check_image("python:3.11-slim") == ""


def test_an_image_missing_from_the_repository_cannot_be_pulled(aws, agent):
    aws("ecr").create_repository(repositoryName="courier")
    with pytest.raises(TaskStartError, match=r"^CannotPullContainerError: .*not found"):
        agent.check_image(CONTEXT.image_uri)


def test_a_pushed_image_yields_its_digest(aws, agent):
    ecr = aws("ecr")
    ecr.create_repository(repositoryName="courier")
    ecr.put_image(repositoryName="courier", imageManifest=MANIFEST, imageTag="latest")
    assert agent.check_image(CONTEXT.image_uri).startswith("sha256:")


def test_ssm_secrets_resolve_by_arn_and_by_name(aws, agent):
    ssm = aws("ssm")
    ssm.put_parameter(Name="/courier/dev/api-key", Value="s3cret", Type="SecureString")
    ssm.put_parameter(Name="/courier/dev/other", Value="plain", Type="String")
    secrets = agent.resolve_secrets(
        [
            {"name": "API_KEY", "valueFrom": CONTEXT.variables()["ApiKeyParameterArn"]},
            {"name": "OTHER", "valueFrom": "/courier/dev/other"},
        ]
    )
    assert secrets == {"API_KEY": "s3cret", "OTHER": "plain"}


def test_more_than_ten_ssm_secrets_are_fetched_in_batches(aws, agent):
    ssm = aws("ssm")
    for i in range(23):
        ssm.put_parameter(Name=f"/p/{i}", Value=str(i), Type="String")
    secrets = agent.resolve_secrets([{"name": f"V{i}", "valueFrom": f"/p/{i}"} for i in range(23)])
    assert secrets == {f"V{i}": str(i) for i in range(23)}


def test_a_missing_parameter_stops_the_task_naming_it(agent):
    with pytest.raises(
        TaskStartError, match=r"ResourceInitializationError: .*invalid parameters: /nope"
    ):
        agent.resolve_secrets([{"name": "X", "valueFrom": "/nope"}])


def test_secrets_manager_values_and_json_keys_resolve(aws, agent):
    sm = aws("secretsmanager")
    arn = sm.create_secret(Name="db", SecretString=json.dumps({"password": "pw", "user": "u"}))[
        "ARN"
    ]
    secrets = agent.resolve_secrets(
        [
            {"name": "WHOLE", "valueFrom": arn},
            {"name": "PASSWORD", "valueFrom": f"{arn}:password::"},
        ]
    )
    assert secrets == {"WHOLE": json.dumps({"password": "pw", "user": "u"}), "PASSWORD": "pw"}
    with pytest.raises(TaskStartError, match="did not contain json key missing"):
        agent.resolve_secrets([{"name": "X", "valueFrom": f"{arn}:missing::"}])


def test_the_log_stream_is_created_and_an_existing_one_is_fine(aws, agent):
    logs = aws("logs")
    logs.create_log_group(logGroupName="/ecs/x")
    agent.create_log_stream("/ecs/x", "p/c/t")
    agent.create_log_stream("/ecs/x", "p/c/t")
    streams = logs.describe_log_streams(logGroupName="/ecs/x")["logStreams"]
    assert [s["logStreamName"] for s in streams] == ["p/c/t"]


def test_a_missing_log_group_stops_the_task_like_the_awslogs_driver(agent):
    with pytest.raises(TaskStartError, match="failed to create Cloudwatch log stream"):
        agent.create_log_stream("/ecs/missing", "s")


def test_prepare_does_secrets_image_and_log_stream_for_the_shipped_container(aws, agent):
    ssm, ecr, logs = aws("ssm"), aws("ecr"), aws("logs")
    ssm.put_parameter(Name=CONTEXT.api_key_parameter, Value="k", Type="SecureString")
    ecr.create_repository(repositoryName=CONTEXT.ecr_repository)
    ecr.put_image(
        repositoryName=CONTEXT.ecr_repository,
        imageManifest=MANIFEST,
        imageTag="latest",
    )
    logs.create_log_group(logGroupName=CONTEXT.log_group)
    artifacts = render_artifacts(CONTEXT)
    task = LocalTask.start(
        CONTEXT, artifacts.task_definition, CONTEXT.arn("ecs", "task-definition/courier-dev:1")
    )
    container = task.containers[0]
    prepared = agent.prepare(container, task.log_stream_for(container))
    assert prepared.secrets == {"API_KEY": "k"}
    assert prepared.log_group == CONTEXT.log_group
    assert "'k'" not in repr(prepared)


def test_moto_xml_error_bodies_are_reduced_to_their_message():
    xml = (
        '<?xml version="1.0"?><ErrorResponse><Errors><Error><Code>AccessDenied</Code>'
        "<Message>User: x is not authorized to perform: ssm:GetParameters</Message>"
        "</Error></Errors></ErrorResponse>"
    )
    assert aws_error_message(xml) == "User: x is not authorized to perform: ssm:GetParameters"
    error = ClientError(
        {"Error": {"Code": "403", "Message": xml}, "ResponseMetadata": {"HTTPStatusCode": 403}},
        "GetParameters",
    )
    assert describe_client_error(error, "arn:aws:ssm:r:1:parameter/p") == (
        "AccessDeniedException: User: x is not authorized to perform: ssm:GetParameters "
        "on resource: arn:aws:ssm:r:1:parameter/p"
    )
