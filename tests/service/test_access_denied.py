"""AWS denials become 403s naming the action, the resource and the role that lacks it.

moto enforces IAM in-process here (its switch is process-global: the fixture turns it off again).
The roles get the task-role policy the project ships, rendered for the local context, minus what
each test takes away.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto.core import enable_iam_authentication

from artifacts.render import POLICIES_DIR, PROJECT_ROOT, TASK_POLICY, render_artifacts
from ecslocal import motocompat
from service.app import create_app
from service.aws import build_clients
from tests.service.conftest import CONTEXT, ApiClient, MotoQueues, env_for, settled

# moto checks SQS batch calls against sqs:*Batch actions, which IAM does not have; AWS authorises
# them as the singular action. The roles here get the batch names too so moto lets batches through.
MOTO_BATCH_ACTIONS = {
    "sqs:SendMessage": "sqs:SendMessageBatch",
    "sqs:DeleteMessage": "sqs:DeleteMessageBatch",
    "sqs:ChangeMessageVisibility": "sqs:ChangeMessageVisibilityBatch",
}


READYZ_KEY = "access-denied-tests-key"  # not a secret: these apps serve only the test


def task_policy_without(*removed: str) -> dict[str, Any]:
    """The shipped task-role policy minus ``removed`` actions, plus moto's batch action names."""
    policy = render_artifacts(CONTEXT).task_policy
    for statement in policy["Statement"]:
        actions = [a for a in statement["Action"] if a not in removed]
        statement["Action"] = actions + [
            MOTO_BATCH_ACTIONS[a] for a in actions if a in MOTO_BATCH_ACTIONS
        ]
    return policy


def assume(role_name: str, policy: dict[str, Any] | None) -> boto3.Session:
    """Create ``role_name`` with ``policy`` (None: no policy) and a session holding the role."""
    iam = boto3.client("iam", region_name=CONTEXT.region)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{CONTEXT.account_id}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(trust))
    if policy is not None:
        iam.put_role_policy(
            RoleName=role_name, PolicyName="service", PolicyDocument=json.dumps(policy)
        )
    credentials = boto3.client("sts", region_name=CONTEXT.region).assume_role(
        RoleArn=CONTEXT.role_arn(role_name), RoleSessionName="task-0123456789"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=CONTEXT.region,
    )


@pytest.fixture
def app_as(moto_queues: MotoQueues) -> Iterator[Callable[..., ApiClient]]:
    """Build an app whose credentials are a role's, with IAM enforced while the test runs."""
    with enable_iam_authentication():

        def build(role_name: str, policy: dict[str, Any] | None) -> ApiClient:
            with unrestricted():
                session = assume(role_name, policy)
            clients = build_clients(CONTEXT.region, session=session)
            environ = {**env_for(moto_queues), "API_KEY": READYZ_KEY}
            app = settled(create_app(environ=environ, clients=clients))
            return ApiClient(app, headers={"X-Api-Key": READYZ_KEY})

        yield build


@contextlib.contextmanager
def unrestricted() -> Iterator[None]:
    """Calls as moto's default user (set-up, inspection) while enforcement is on for the app."""
    saved = motocompat.enforcement_switch()
    motocompat.set_enforcement_switch((float("inf"), saved[1]))
    try:
        yield
    finally:
        motocompat.set_enforcement_switch(saved)


def test_shipped_task_policy_allows_every_route(
    app_as: Callable[..., ApiClient], moto_queues: MotoQueues
) -> None:
    api = app_as(CONTEXT.task_role_name, task_policy_without())
    assert api.post("/messages", json={"body": "one"}).status_code == 201
    assert api.post("/messages/batch", json={"messages": [{"body": "two"}]}).status_code == 200
    confirmed = api.post("/messages/confirm", json={"max": 10})
    assert confirmed.status_code == 200 and len(confirmed.json["confirmed"]) == 2
    [message] = api.get("/messages?queue=confirmed").json["messages"]
    assert (
        api.post(
            "/messages/release",
            json={"queue": "confirmed", "receipt_handle": message["receipt_handle"]},
        ).status_code
        == 200
    )
    [message] = api.get("/messages?queue=confirmed").json["messages"]
    assert (
        api.post(
            "/messages/delete",
            json={"queue": "confirmed", "receipt_handle": message["receipt_handle"]},
        ).status_code
        == 200
    )
    assert api.get("/readyz").status_code == 200


def test_missing_delete_permission_names_action_resource_and_task_role(
    app_as: Callable[..., ApiClient], moto_queues: MotoQueues
) -> None:
    api = app_as(CONTEXT.task_role_name, task_policy_without("sqs:DeleteMessage"))
    api.post("/messages", json={"body": "work"})
    [message] = api.get("/messages").json["messages"]
    response = api.post(
        "/messages/delete", json={"queue": "pending", "receipt_handle": message["receipt_handle"]}
    )
    assert response.status_code == 403
    error = response.json["error"]
    assert error["code"] == "access_denied"
    assert error["action"] == "sqs:DeleteMessage"
    pending_arn = CONTEXT.queue_arn(CONTEXT.pending_queue_name)
    assert error["resource"] == pending_arn
    assert (
        f"the task role {CONTEXT.task_role_name} lacks sqs:DeleteMessage on {pending_arn}"
        in (error["message"])
    )
    # The file to change, named as the project ships it (the image has no artifacts/ to ask).
    assert str((POLICIES_DIR / TASK_POLICY).relative_to(PROJECT_ROOT)) in error["message"]


def test_confirm_without_delete_permission_keeps_the_message_and_says_so(
    app_as: Callable[..., ApiClient], moto_queues: MotoQueues
) -> None:
    api = app_as(CONTEXT.task_role_name, task_policy_without("sqs:DeleteMessage"))
    message_id = api.post("/messages", json={"body": "work"}).json["message_id"]
    response = api.post("/messages/confirm", json={"max": 10})
    assert response.status_code == 403
    assert response.json["error"]["action"] == "sqs:DeleteMessage"
    assert response.json["confirmed"] == []
    [failed] = response.json["failed"]
    assert failed == {
        "message_id": message_id,
        "stage": "delete",
        "code": "access_denied",
        "message": failed["message"],
        "outcome": "forwarded_will_be_redelivered",
    }
    # Never lost: the copy is in confirmed and the original is still in pending.
    with unrestricted():
        assert moto_queues.count(moto_queues.pending_url) == 1
        assert moto_queues.count(moto_queues.confirmed_url) == 1


def test_confirm_without_send_permission_releases_the_messages(
    app_as: Callable[..., ApiClient], moto_queues: MotoQueues
) -> None:
    api = app_as(CONTEXT.task_role_name, task_policy_without("sqs:SendMessage"))
    with unrestricted():
        moto_queues.sqs.send_message(QueueUrl=moto_queues.pending_url, MessageBody="work")
    response = api.post("/messages/confirm", json={"max": 10})
    assert response.status_code == 403
    assert response.json["error"]["action"] == "sqs:SendMessage"
    assert response.json["error"]["resource"] == CONTEXT.queue_arn(CONTEXT.confirmed_queue_name)
    assert [f["outcome"] for f in response.json["failed"]] == ["released"]
    with unrestricted():
        assert moto_queues.count(moto_queues.confirmed_url) == 0
    assert len(api.get("/messages").json["messages"]) == 1  # visible again at once


def test_execution_role_credentials_are_named_as_the_mix_up(
    app_as: Callable[..., ApiClient],
) -> None:
    api = app_as(CONTEXT.execution_role_name, None)
    response = api.post("/messages", json={"body": "x"})
    assert response.status_code == 403
    message = response.json["error"]["message"]
    assert f"the execution role {CONTEXT.execution_role_name} lacks sqs:SendMessage" in message
    assert "taskRoleArn" in message


def test_unexpected_role_is_named_against_the_expected_one(
    app_as: Callable[..., ApiClient],
) -> None:
    api = app_as("some-other-role", None)
    message = api.get("/messages").json["error"]["message"]
    assert "the role some-other-role lacks sqs:ReceiveMessage" in message
    assert f"not the expected task role {CONTEXT.task_role_name}" in message


def test_readiness_names_the_denied_check(app_as: Callable[..., ApiClient]) -> None:
    api = app_as(CONTEXT.task_role_name, task_policy_without("sqs:GetQueueAttributes"))
    response = api.get("/readyz")
    assert response.status_code == 503
    assert response.json["reason"] == "access_denied"
    failing = {c["name"]: c["message"] for c in response.json["checks"] if not c["ok"]}
    assert set(failing) == {"pending_queue", "confirmed_queue"}
    assert "sqs:GetQueueAttributes" in failing["pending_queue"]
    assert CONTEXT.task_role_name in failing["pending_queue"]
