"""Bootstrap on an embedded moto server, then the shipped policies as moto enforces them.

Every outcome below is the shipped policy, unchanged, under IAM enforcement with the bridges. The
server runs in this process; stopping it restores moto and its enforcement switch.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest

from artifacts.context import DeploymentContext
from artifacts.render import render_artifacts
from ecslocal.bootstrap import (
    BootstrapError,
    LocalAccount,
    _image_tag,
    bootstrap_account,
    enable_enforcement,
)
from ecslocal.moto_server import EmbeddedMoto
from tests.ecslocal.motoworld import outcome
from tests.support.processes import refusing_port

API_KEY = "local-api-key-7f3c9a"


@dataclass
class Enforced:
    """A bootstrapped account with enforcement on, and sessions for each role the agent assumed."""

    account: LocalAccount
    second_bootstrap_error: str
    execution: boto3.Session
    task: boto3.Session
    _clients: dict[tuple[int, str], Any] = field(default_factory=dict)

    def client(self, session: boto3.Session, service: str) -> Any:
        key = (id(session), service)
        if key not in self._clients:
            self._clients[key] = session.client(service, endpoint_url=self.account.endpoint)
        return self._clients[key]


def _role_session(account: LocalAccount, role_arn: str) -> boto3.Session:
    creds = account.client("sts", account.agent).assume_role(
        RoleArn=role_arn, RoleSessionName="0123456789abcdef"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=account.region,
    )


@pytest.fixture(scope="module")
def enforced() -> Iterator[Enforced]:
    with EmbeddedMoto() as server:
        endpoint = server.endpoint
        account = bootstrap_account(endpoint, api_key=API_KEY)
        with pytest.raises(BootstrapError) as again:
            bootstrap_account(endpoint, api_key=API_KEY)
        enable_enforcement(endpoint)
        # A third queue in the account, which the task role must not reach.
        account.client("sqs").create_queue(QueueName=account.context.dead_letter_queue_name)
        yield Enforced(
            account,
            second_bootstrap_error=str(again.value),
            execution=_role_session(account, account.execution_role_arn),
            task=_role_session(account, account.task_role_arn),
        )


# -- what bootstrap created ----------------------------------------------------------------------


@pytest.mark.integration
def test_local_account_context_is_moto_account_endpoint_queues_and_new_key(
    enforced: Enforced,
) -> None:
    account = enforced.account
    context = account.context
    assert context.account_id == "123456789012"
    assert context.sqs_endpoint == account.endpoint
    assert context.parameter_key_id == account.kms_key_id
    assert account.kms_key_arn == context.variables()["ParameterKeyArn"]
    assert account.artifacts.context == context
    assert (
        account.pending_queue_url == f"{account.endpoint}/123456789012/{context.pending_queue_name}"
    )
    assert account.confirmed_queue_url == context.queue_url(context.confirmed_queue_name)
    assert account.api_key_parameter == context.api_key_parameter
    assert account.task_definition_arn.endswith(f":task-definition/{context.task_family}:1")


@pytest.mark.integration
def test_roles_carry_the_rendered_policies_unchanged(enforced: Enforced) -> None:
    account = enforced.account
    rendered = render_artifacts(account.context)
    iam = account.client("iam")
    for role_name, policy in (
        (account.context.execution_role_name, rendered.execution_policy),
        (account.context.task_role_name, rendered.task_policy),
    ):
        role = iam.get_role(RoleName=role_name)["Role"]
        assert role["AssumeRolePolicyDocument"] == rendered.trust_policy
        names = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
        documents = [
            iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
            for name in names
        ]
        assert policy in documents
        # Besides it, only the template's Deny iam:* (on the task role).
        extra = [s for d in documents if d != policy for s in d["Statement"]]
        assert all((s["Effect"], s["Action"]) == ("Deny", "iam:*") for s in extra)
        assert len(extra) == (role_name == account.context.task_role_name)


@pytest.mark.integration
def test_api_key_is_a_secure_string_under_the_new_key(enforced: Enforced) -> None:
    account = enforced.account
    ssm = account.client("ssm")
    parameter = ssm.get_parameter(Name=account.api_key_parameter)["Parameter"]
    assert parameter["Type"] == "SecureString"
    assert parameter["Value"] != API_KEY  # stored encrypted
    described = ssm.describe_parameters(
        ParameterFilters=[{"Key": "Name", "Values": [account.api_key_parameter]}]
    )["Parameters"][0]
    assert described["KeyId"] == account.kms_key_id
    aliases = account.client("kms").list_aliases(KeyId=account.kms_key_id)["Aliases"]
    assert [a["AliasName"] for a in aliases] == [account.context.parameter_key_alias]


@pytest.mark.integration
def test_task_definition_is_the_rendered_one_with_an_image_in_the_repository(
    enforced: Enforced,
) -> None:
    account = enforced.account
    registered = account.client("ecs").describe_task_definition(
        taskDefinition=account.task_definition_arn
    )["taskDefinition"]
    container = registered["containerDefinitions"][0]
    assert container == {**container, **account.artifacts.container}
    assert registered["executionRoleArn"] == account.execution_role_arn
    assert registered["taskRoleArn"] == account.task_role_arn
    repository = account.client("ecr").describe_repositories(
        repositoryNames=[account.context.ecr_repository]
    )["repositories"][0]
    assert container["image"] == account.image_uri == f"{repository['repositoryUri']}:latest"


def test_image_outside_the_service_repository_is_refused() -> None:
    with pytest.raises(BootstrapError, match="not a tag in the service's repository"):
        _image_tag(DeploymentContext(image="docker.io/library/python:3.11"))


# -- the execution role, as the local agent uses it -----------------------------------------------


@pytest.mark.integration
def test_execution_role_resolves_the_secret_with_get_parameters_and_kms(enforced: Enforced) -> None:
    value_from = enforced.account.artifacts.container["secrets"][0]["valueFrom"]
    response = enforced.client(enforced.execution, "ssm").get_parameters(
        Names=[value_from], WithDecryption=True
    )
    assert response["InvalidParameters"] == []
    assert [p["Value"] for p in response["Parameters"]] == [API_KEY]


@pytest.mark.integration
def test_execution_role_pulls_the_image_every_blob_available(enforced: Enforced) -> None:
    ecr = enforced.client(enforced.execution, "ecr")
    repository = enforced.account.context.ecr_repository
    assert ecr.get_authorization_token()["authorizationData"]
    image = ecr.batch_get_image(repositoryName=repository, imageIds=[{"imageTag": "latest"}])
    manifest = json.loads(image["images"][0]["imageManifest"])
    digests = [manifest["config"]["digest"], *(layer["digest"] for layer in manifest["layers"])]
    check = ecr.batch_check_layer_availability(repositoryName=repository, layerDigests=digests)
    assert check["failures"] == []
    assert {layer["layerAvailability"] for layer in check["layers"]} == {"AVAILABLE"}


@pytest.mark.integration
def test_execution_role_ships_logs_that_the_operator_reads(enforced: Enforced) -> None:
    account = enforced.account
    logs = enforced.client(enforced.execution, "logs")
    stream = (
        f"{account.context.log_stream_prefix}/{account.context.container_name}/0123456789abcdef"
    )
    logs.create_log_stream(logGroupName=account.log_group, logStreamName=stream)
    logs.put_log_events(
        logGroupName=account.log_group,
        logStreamName=stream,
        logEvents=[{"timestamp": int(time.time() * 1000), "message": "started"}],
    )
    events = account.client("logs").get_log_events(
        logGroupName=account.log_group, logStreamName=stream
    )["events"]
    assert [e["message"] for e in events] == ["started"]


EXECUTION_ROLE_DENIALS = [
    pytest.param(
        "ssm",
        lambda c, a: c.get_parameter(Name=a.api_key_parameter, WithDecryption=True),
        "denied ssm:GetParameter",
        id="singular-GetParameter",
    ),
    pytest.param(
        "logs",
        lambda c, a: c.create_log_stream(logGroupName="/ecs/elsewhere", logStreamName="s"),
        "denied logs:CreateLogStream",
        id="another-log-group",
    ),
    pytest.param(
        "ecr",
        lambda c, a: c.describe_images(repositoryName=a.context.ecr_repository),
        "denied ecr:DescribeImages",
        id="ecr-action-not-granted",
    ),
    pytest.param(
        "sqs",
        lambda c, a: c.send_message(QueueUrl=a.pending_queue_url, MessageBody="m"),
        "denied sqs:SendMessage",
        id="queues",
    ),
]


@pytest.mark.integration
@pytest.mark.parametrize(("service", "call", "expected"), EXECUTION_ROLE_DENIALS)
def test_execution_role_is_denied_outside_its_policy(
    enforced: Enforced, service: str, call: Any, expected: str
) -> None:
    client = enforced.client(enforced.execution, service)
    assert outcome(lambda: call(client, enforced.account)) == expected


# -- the task role, as the service uses it ----------------------------------------------------------


@pytest.mark.integration
def test_task_role_sends_receives_and_confirms_on_both_queues_in_batches_too(
    enforced: Enforced,
) -> None:
    sqs = enforced.client(enforced.task, "sqs")
    for url in (enforced.account.pending_queue_url, enforced.account.confirmed_queue_url):
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "1", "MessageBody": "m"}])
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        entries = [
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
        ]
        sqs.change_message_visibility_batch(
            QueueUrl=url, Entries=[{**e, "VisibilityTimeout": 0} for e in entries]
        )
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        deleted = sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
            ],
        )
        assert deleted.get("Failed", []) == [] and len(deleted["Successful"]) == 1


TASK_ROLE_DENIALS = [
    pytest.param(
        "ssm",
        lambda c, a: c.get_parameters(Names=[a.api_key_parameter], WithDecryption=True),
        "denied ssm:GetParameters",
        id="the-secret",
    ),
    pytest.param(
        "sqs",
        lambda c, a: c.send_message(
            QueueUrl=a.context.queue_url(a.context.dead_letter_queue_name), MessageBody="m"
        ),
        "denied sqs:SendMessage",
        id="a-third-queue",
    ),
    pytest.param(
        "sqs",
        lambda c, a: c.purge_queue(QueueUrl=a.pending_queue_url),
        "denied sqs:PurgeQueue",
        id="an-action-not-granted",
    ),
    pytest.param(
        "logs",
        lambda c, a: c.create_log_stream(logGroupName=a.log_group, logStreamName="s"),
        "denied logs:CreateLogStream",
        id="the-log-group",
    ),
]


@pytest.mark.integration
@pytest.mark.parametrize(("service", "call", "expected"), TASK_ROLE_DENIALS)
def test_task_role_is_denied_outside_its_policy(
    enforced: Enforced, service: str, call: Any, expected: str
) -> None:
    client = enforced.client(enforced.task, service)
    assert outcome(lambda: call(client, enforced.account)) == expected


# -- identities -------------------------------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.parametrize(
    ("identity", "role", "expected"),
    [
        pytest.param("agent", "execution_role_arn", "allowed", id="agent-execution"),
        pytest.param("agent", "task_role_arn", "allowed", id="agent-task"),
        pytest.param("operator", "execution_role_arn", "denied sts:AssumeRole", id="operator"),
    ],
)
def test_only_the_agent_stands_for_ecs_tasks(
    enforced: Enforced, identity: str, role: str, expected: str
) -> None:
    account = enforced.account
    sts = account.client("sts", getattr(account, identity))
    role_arn = getattr(account, role)
    assert outcome(lambda: sts.assume_role(RoleArn=role_arn, RoleSessionName="t-1")) == expected


@pytest.mark.integration
def test_agent_can_do_nothing_but_assume_the_roles(enforced: Enforced) -> None:
    account = enforced.account
    ssm = account.client("ssm", account.agent)
    assert outcome(lambda: ssm.get_parameters(Names=[account.api_key_parameter])) == (
        "denied ssm:GetParameters"
    )


@pytest.mark.integration
def test_only_moto_issued_keys_work_after_enforcement(enforced: Enforced) -> None:
    stranger = boto3.Session(
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
        aws_secret_access_key="not-issued-by-moto",
        region_name=enforced.account.region,
    ).client("sqs", endpoint_url=enforced.account.endpoint)
    seen = outcome(lambda: stranger.list_queues())
    assert seen == "error 403 InvalidClientTokenId"


@pytest.mark.integration
def test_bootstrap_twice_names_the_step_and_the_cause(enforced: Enforced) -> None:
    assert enforced.second_bootstrap_error.startswith(
        f"create IAM user {enforced.account.operator.user_name} failed at "
    )
    assert "EntityAlreadyExists" in enforced.second_bootstrap_error
    assert "already bootstrapped? start a fresh moto server" in enforced.second_bootstrap_error


@pytest.mark.integration
def test_bootstrap_again_after_enforcement_names_the_cause(enforced: Enforced) -> None:
    with pytest.raises(BootstrapError, match="IAM enforcement already on"):
        bootstrap_account(enforced.account.endpoint, api_key=API_KEY)


@pytest.mark.integration
def test_no_secret_in_the_account_repr(enforced: Enforced) -> None:
    account = enforced.account
    text = repr(account)
    for secret in (account.agent.secret_access_key, account.operator.secret_access_key, API_KEY):
        assert secret not in text
    assert account.agent.access_key_id in text


# -- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "api_key", ["", " s3cr3t-value", "s3cr3t-value\n"], ids=["empty", "leading-space", "newline"]
)
def test_malformed_api_key_is_refused_before_any_call(api_key: str) -> None:
    with pytest.raises(BootstrapError, match="API key") as error:
        bootstrap_account("http://127.0.0.1:9", api_key=api_key)
    assert "s3cr3t" not in str(error.value)


@pytest.mark.parametrize(
    "endpoint", ["", "127.0.0.1:5000", "ftp://127.0.0.1", "http://", "http://127.0.0.1:5000/path"]
)
def test_malformed_endpoint_is_refused_before_any_call(endpoint: str) -> None:
    with pytest.raises(BootstrapError, match="is not a moto endpoint URL"):
        bootstrap_account(endpoint, api_key=API_KEY)


def test_unreachable_endpoint_is_a_clear_error() -> None:
    endpoint = f"http://127.0.0.1:{refusing_port()}"
    with pytest.raises(BootstrapError, match=f"cannot reach moto at {endpoint}"):
        bootstrap_account(endpoint, api_key=API_KEY)
    with pytest.raises(BootstrapError, match="cannot switch IAM enforcement on"):
        enable_enforcement(endpoint, timeout=2)
