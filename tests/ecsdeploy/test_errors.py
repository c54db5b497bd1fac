"""AWS errors in plain words: AccessDenied names the action and the resource."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from ecsdeploy.errors import describe_client_error, is_access_denied, missing_permission


def client_error(code: str, message: str, operation: str, status: int = 400) -> ClientError:
    response = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, operation)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "service", "expected"),
    [
        (
            client_error(
                "AccessDenied",
                "User: arn:aws:sts::123456789012:assumed-role/ops/me is not authorized to perform: "
                "iam:CreateRole on resource: arn:aws:iam::123456789012:role/courier-dev-task "
                "because no identity-based policy allows the iam:CreateRole action",
                "CreateRole",
                403,
            ),
            "iam",
            ("iam:CreateRole", "arn:aws:iam::123456789012:role/courier-dev-task"),
        ),
        (
            client_error(
                "AccessDeniedException",
                "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: "
                "ecs:CreateService on resource: arn:aws:ecs:eu-west-1:123456789012:service/c/s "
                "because no identity-based policy allows the ecs:CreateService action",
                "CreateService",
            ),
            "ecs",
            ("ecs:CreateService", "arn:aws:ecs:eu-west-1:123456789012:service/c/s"),
        ),
        (  # moto's form: no resource in the message, so the step's resource is named
            client_error(
                "AccessDenied",
                "User: arn:aws:iam::123456789012:user/u is not authorized to perform: iam:PutRolePolicy",
                "PutRolePolicy",
                403,
            ),
            "iam",
            ("iam:PutRolePolicy", "arn:aws:iam::123456789012:role/the-step"),
        ),
        (  # no message at all: the action comes from the operation and the client's service
            client_error("403", "", "GetResources", 403),
            "tagging",
            ("tag:GetResources", "arn:aws:iam::123456789012:role/the-step"),
        ),
        (
            client_error("UnauthorizedOperation", "You are not authorized.", "DescribeSubnets"),
            "ec2",
            ("ec2:DescribeSubnets", "arn:aws:iam::123456789012:role/the-step"),
        ),
    ],
)
def test_access_denied_names_action_and_resource(error, service, expected):
    assert is_access_denied(error)
    assert missing_permission(error, service, "arn:aws:iam::123456789012:role/the-step") == expected
    text = describe_client_error(error, service, "arn:aws:iam::123456789012:role/the-step")
    assert text.startswith(f"missing permission {expected[0]} on {expected[1]}")


def test_other_errors_keep_their_code_and_message():
    error = client_error("QueueDeletedRecently", "wait 60 seconds", "CreateQueue")

    assert not is_access_denied(error)
    assert describe_client_error(error, "sqs", "courier-dev-pending") == (
        "CreateQueue (courier-dev-pending) failed: QueueDeletedRecently: wait 60 seconds"
    )
