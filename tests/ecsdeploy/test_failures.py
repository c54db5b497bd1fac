"""Failures: the first failing resource and its reason; AccessDenied names the permission."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import boto3
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from ecsdeploy.aws import Aws
from ecsdeploy.errors import describe_client_error
from ecsdeploy.image import NO_ENGINE
from ecsdeploy.stack import failure_message, follow
from tests.ecsdeploy.test_make_targets import client, make, put_image
from tests.support.processes import PROJECT_ROOT, clean_env

STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1"


def _event(event_id: str, logical_id: str, status: str, reason: str = "") -> dict:
    event = {
        "StackId": STACK_ID, "EventId": event_id, "StackName": "s", "LogicalResourceId": logical_id,
        "ResourceType": "AWS::SQS::Queue", "Timestamp": datetime.now(UTC), "ResourceStatus": status,
    }  # fmt: skip
    if reason:
        event["ResourceStatusReason"] = reason
    return event


def test_follow_prints_events_and_reports_the_first_failure() -> None:
    session = boto3.Session(
        aws_access_key_id="k", aws_secret_access_key="s", region_name="us-east-1"
    )
    aws = Aws(session=session, region="us-east-1")
    cfn = aws.client("cloudformation")
    stack = {"StackId": STACK_ID, "StackName": "s", "CreationTime": datetime.now(UTC), "StackStatus": "ROLLBACK_COMPLETE"}  # fmt: skip
    newest_first = [
        _event("4", "s", "ROLLBACK_COMPLETE"),
        _event("3", "ConfirmedQueue", "CREATE_FAILED", "Resource creation cancelled"),
        _event("2", "PendingQueue", "CREATE_FAILED", "Queue already exists"),
        _event("1", "s", "CREATE_IN_PROGRESS", "User Initiated"),
    ]
    lines: list[str] = []
    with Stubber(cfn) as stub:
        stub.add_response("describe_stacks", {"Stacks": [stack]})
        stub.add_response("describe_stack_events", {"StackEvents": newest_first})
        final = follow(aws, STACK_ID, {"1"}, lines.append)
    assert len(lines) == 3 and "PendingQueue" in lines[0]
    assert failure_message(final) == (
        "first failure PendingQueue (AWS::SQS::Queue): Queue already exists"
    )


def test_access_denied_names_the_permission() -> None:
    error = ClientError(
        {
            "Error": {
                "Code": "AccessDenied",
                "Message": "User: arn:aws:iam::1:user/o is not authorized to perform: cloudformation:CreateChangeSet on resource: arn:aws:cloudformation:us-east-1:1:stack/courier-dev/*",
            }
        },
        "CreateChangeSet",
    )
    assert describe_client_error(error).startswith(
        "missing permission cloudformation:CreateChangeSet on arn:aws:cloudformation:us-east-1:1:stack/courier-dev/*"
    )


def test_a_resource_in_the_way_fails_deploy_with_one_line(endpoint: str) -> None:
    put_image(endpoint, "clash", "v1")
    client(endpoint, "iam").create_role(RoleName="clash-dev-task", AssumeRolePolicyDocument="{}")
    result = make(endpoint, "deploy", "SERVICE_NAME=clash", "TAG=v1")
    assert result.returncode != 0
    assert "Role with name clash-dev-task already exists" in result.stderr
    assert "Traceback" not in result.stderr


def test_push_without_a_docker_engine_says_so(tmp_path) -> None:
    env = clean_env(
        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1",
        DOCKER_HOST=f"unix://{tmp_path}/no-docker.sock",
    )  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "ecsdeploy", "push", "--endpoint-url", "http://127.0.0.1:9"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert NO_ENGINE in result.stderr and "Traceback" not in result.stderr
