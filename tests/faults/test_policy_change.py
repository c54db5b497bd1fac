"""The task role loses ``sqs:SendMessage`` while the service runs, against moto with IAM enforced.

A send is then a 403 naming the action (and the role that lacks it), and ``/whoami`` still answers:
``sts:GetCallerIdentity`` needs no permission. Real processes: a moto server and gunicorn.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from tests.service.conftest import CONTEXT
from tests.service.secret_guard import GUARD
from tests.service.test_access_denied import task_policy_without
from tests.support.processes import (
    create_service_queues,
    free_port,
    moto_server_process,
    service_env,
    start_gunicorn,
    stop,
    wait_for_http,
)

pytestmark = pytest.mark.integration

ADMIN = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{CONTEXT.account_id}:root"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def enforce(endpoint: str, unauthenticated_requests: int = 0) -> None:
    """Switch moto's IAM enforcement on after ``unauthenticated_requests`` more requests."""
    answer = requests.post(
        f"{endpoint}/moto-api/reset-auth", data=str(unauthenticated_requests), timeout=10
    )
    assert answer.json()["status"] == "ok"


def client(service: str, endpoint: str, **keys: Any) -> Any:
    return boto3.client(service, region_name=CONTEXT.region, endpoint_url=endpoint, **keys)


def test_a_policy_losing_send_message_gives_a_403_naming_it_and_whoami_still_answers(
    tmp_path: Path,
) -> None:
    with moto_server_process() as moto:
        setup = {"aws_access_key_id": "AKIASETUP00000000000", "aws_secret_access_key": "setup"}
        iam, sqs = client("iam", moto, **setup), client("sqs", moto, **setup)
        pending, confirmed = create_service_queues(sqs)
        iam.create_user(UserName="operator")
        iam.put_user_policy(
            UserName="operator", PolicyName="admin", PolicyDocument=json.dumps(ADMIN)
        )
        key = iam.create_access_key(UserName="operator")["AccessKey"]
        operator = {
            "aws_access_key_id": key["AccessKeyId"],
            "aws_secret_access_key": key["SecretAccessKey"],
        }
        iam.create_role(RoleName=CONTEXT.task_role_name, AssumeRolePolicyDocument=json.dumps(TRUST))
        iam.put_role_policy(
            RoleName=CONTEXT.task_role_name,
            PolicyName="service",
            PolicyDocument=json.dumps(task_policy_without()),
        )
        role = client("sts", moto, **operator).assume_role(
            RoleArn=CONTEXT.role_arn(CONTEXT.task_role_name), RoleSessionName="task-1"
        )["Credentials"]
        enforce(moto)
        GUARD.register(key["SecretAccessKey"], role["SecretAccessKey"], role["SessionToken"])

        port = free_port()
        env = service_env(
            moto,
            pending,
            confirmed,
            port,
            AWS_ACCESS_KEY_ID=role["AccessKeyId"],
            AWS_SECRET_ACCESS_KEY=role["SecretAccessKey"],
            AWS_SESSION_TOKEN=role["SessionToken"],
            EXPECTED_TASK_ROLE_NAME=CONTEXT.task_role_name,
            WEB_CONCURRENCY="1",
        )
        log = tmp_path / "out.log"
        process = start_gunicorn(env, log)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for_http(f"{url}/healthz", timeout=25, process=process)
            assert (
                requests.post(f"{url}/messages", json={"body": "a"}, timeout=20).status_code == 201
            )

            # The operator's change, let through unauthenticated (moto's reset-auth with a count
            # of 1); enforcement is on again for the service's next call.
            enforce(moto, unauthenticated_requests=1)
            client("iam", moto, **operator).put_role_policy(
                RoleName=CONTEXT.task_role_name,
                PolicyName="service",
                PolicyDocument=json.dumps(task_policy_without("sqs:SendMessage")),
            )
            denied = requests.post(f"{url}/messages", json={"body": "b"}, timeout=20)
            whoami = requests.get(f"{url}/whoami", timeout=20)
        finally:
            stop(process)
            GUARD.observe("gunicorn output", log.read_bytes())
    assert denied.status_code == 403
    error = denied.json()["error"]
    assert (error["code"], error["action"]) == ("access_denied", "sqs:SendMessage")
    assert CONTEXT.task_role_name in error["message"]
    assert whoami.status_code == 200
    assert whoami.json()["role_name"] == CONTEXT.task_role_name
