"""Each broken fixture is a copy of the shipped artifacts with one defect; the checker must name it
with exactly the expected codes (and nothing else)."""

from __future__ import annotations

from typing import Any

import pytest

from service.awscalls import ALWAYS_ALLOWED, QUEUES, AwsCall
from tests.checker.conftest import CALLS, ArtifactCopy

FAKE_KEY_ID = "AKIA" + "ABCDEFGHIJKLMNOP"  # shaped like an access key id, belongs to no one


def stmt(policy: dict[str, Any], sid: str) -> dict[str, Any]:
    return next(s for s in policy["Statement"] if s.get("Sid") == sid)


def drop_stmt(policy: dict[str, Any], sid: str) -> None:
    policy["Statement"].remove(stmt(policy, sid))


def add_stmt(policy: dict[str, Any], statement: dict[str, Any]) -> None:
    policy["Statement"].append(statement)


def service_container(taskdef: dict[str, Any]) -> dict[str, Any]:
    return taskdef["containerDefinitions"][0]


def set_env(taskdef: dict[str, Any], name: str, value: str) -> None:
    environment = service_container(taskdef)["environment"]
    for entry in environment:
        if entry["name"] == name:
            entry["value"] = value
            return
    environment.append({"name": name, "value": value})


def log_options(taskdef: dict[str, Any]) -> dict[str, str]:
    return service_container(taskdef)["logConfiguration"]["options"]


def _set(mapping: dict[str, Any], key: str, value: Any) -> None:
    mapping[key] = value


def _drop(mapping: dict[str, Any], key: str) -> None:
    del mapping[key]


# (file, change, expected codes)
TASK_DEFINITION_DEFECTS = [
    pytest.param(
        "taskdef",
        lambda td: _set(
            td,
            "taskDefinitionArn",
            "arn:${Partition}:ecs:${Region}:${AccountId}:task-definition/x:1",
        ),
        {"TD001"},
        id="describe-output-field-pasted-into-registration",
    ),
    pytest.param("taskdef", lambda td: _drop(td, "family"), {"TD001"}, id="family-missing"),
    pytest.param(
        "taskdef", lambda td: _set(td, "networkMode", "bridge"), {"TD002"}, id="bridge-networking"
    ),
    pytest.param(
        "taskdef", lambda td: _set(td, "requiresCompatibilities", ["EC2"]), {"TD002"}, id="ec2-only"
    ),
    pytest.param(
        "taskdef", lambda td: _set(td, "memory", "4096"), {"TD003"}, id="cpu-256-with-4-gb"
    ),
    pytest.param(
        "taskdef", lambda td: _set(td, "cpu", "384"), {"TD003"}, id="cpu-not-a-fargate-size"
    ),
    pytest.param("taskdef", lambda td: _drop(td, "memory"), {"TD003"}, id="memory-missing"),
    pytest.param(
        "taskdef",
        lambda td: _set(service_container(td)["portMappings"][0], "hostPort", 80),
        {"TD004"},
        id="host-port-differs-under-awsvpc",
    ),
    pytest.param("taskdef", lambda td: _drop(td, "taskRoleArn"), {"TD005"}, id="task-role-missing"),
    pytest.param(
        "taskdef", lambda td: _drop(td, "executionRoleArn"), {"TD006"}, id="execution-role-missing"
    ),
    pytest.param(
        "taskdef",
        lambda td: _set(td, "taskRoleArn", "${ExecutionRoleArn}"),
        {"TD007", "TD008"},
        id="same-role-for-both",
    ),
    pytest.param(
        "taskdef",
        lambda td: _set(
            td, "executionRoleArn", "arn:${Partition}:iam::${AccountId}:role/ecsTaskExecutionRole"
        ),
        {"TD008"},
        id="shared-default-execution-role",
    ),
    pytest.param(
        "taskdef",
        lambda td: _set(service_container(td), "privileged", True),
        {"TD009"},
        id="privileged",
    ),
    pytest.param(
        "taskdef",
        lambda td: _set(service_container(td), "user", "0"),
        {"TD010"},
        id="user-root-uid",
    ),
    pytest.param(
        "taskdef",
        lambda td: _set(service_container(td), "user", "app"),
        {"TD010"},
        id="user-by-name",
    ),
    pytest.param(
        "taskdef",
        lambda td: _set(service_container(td), "user", "10001\n"),
        {"TD010"},
        id="user-with-a-trailing-newline",
    ),
    pytest.param(
        "taskdef", lambda td: _drop(service_container(td), "user"), {"TD010"}, id="user-missing"
    ),
    pytest.param(
        "taskdef",
        lambda td: _set(service_container(td), "readonlyRootFilesystem", False),
        {"TD011"},
        id="writable-root-filesystem",
    ),
    pytest.param(
        "taskdef", lambda td: set_env(td, "PORT", "9090"), {"TD012"}, id="port-env-not-mapped"
    ),
    pytest.param(
        "taskdef",
        lambda td: _drop(service_container(td), "healthCheck"),
        {"TD013"},
        id="no-health-check",
    ),
    pytest.param(
        "taskdef",
        lambda td: _set(
            service_container(td)["healthCheck"],
            "command",
            ["CMD-SHELL", "curl -f http://localhost:8080/healthz || exit 1"],
        ),
        {"TD014"},
        id="curl-health-check-in-slim-image",
    ),
    pytest.param(
        "taskdef",
        lambda td: _set(service_container(td), "stopTimeout", 10),
        {"TD015"},
        id="stop-timeout-too-short",
    ),
    pytest.param(
        "taskdef",
        lambda td: _set(service_container(td), "stopTimeout", 300),
        {"TD015"},
        id="stop-timeout-too-long",
    ),
    pytest.param(
        "taskdef",
        lambda td: _set(service_container(td)["mountPoints"][0], "sourceVolume", "scratch"),
        {"TD016", "TD017"},
        id="mount-names-undefined-volume",
    ),
    pytest.param(
        "taskdef",
        lambda td: _set(service_container(td), "mountPoints", []),
        {"TD017"},
        id="no-writable-tmp",
    ),
    pytest.param(
        "taskdef",
        lambda td: _drop(log_options(td), "awslogs-stream-prefix"),
        {"TD018"},
        id="awslogs-no-prefix",
    ),
    pytest.param(
        "taskdef",
        lambda td: _set(log_options(td), "awslogs-region", "eu-west-1"),
        {"TD018"},
        id="awslogs-other-region",
    ),
    pytest.param(
        "taskdef",
        lambda td: set_env(
            td, "PENDING_QUEUE_URL", "https://sqs.${Region}.amazonaws.com/${AccountId}/orders"
        ),
        {"TD019"},
        id="environment-names-another-queue",
    ),
    pytest.param(
        "taskdef",
        lambda td: _set(service_container(td), "name", "app"),
        {"TD020"},
        id="container-not-named-after-service",
    ),
]

ENVIRONMENT_DEFECTS = [
    pytest.param(
        "taskdef",
        lambda td: set_env(td, "AWS_PROFILE", "default"),
        {"EN001"},
        id="aws-profile-in-environment",
    ),
    pytest.param(
        "taskdef",
        lambda td: set_env(td, "AWS_ACCESS_KEY_ID", FAKE_KEY_ID),
        {"EN001", "EN004"},
        id="static-access-key-in-environment",
    ),
    pytest.param(
        "taskdef",
        lambda td: service_container(td)["secrets"].append(
            {"name": "AWS_SECRET_ACCESS_KEY", "valueFrom": "${ParameterPathArn}aws-secret"}
        ),
        {"EN001"},
        id="static-secret-key-from-parameter-store",
    ),
    pytest.param(
        "taskdef",
        lambda td: set_env(td, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/x"),
        {"EN002"},
        id="agent-reserved-variable",
    ),
    pytest.param(
        "taskdef",
        lambda td: set_env(td, "DB_PASSWORD", "hunter2"),
        {"EN003"},
        id="password-in-environment",
    ),
    pytest.param(
        "taskdef", lambda td: set_env(td, "API_TOKEN", "abc"), {"EN003"}, id="token-in-environment"
    ),
    pytest.param(
        "taskdef",
        lambda td: _set(service_container(td), "dockerLabels", {"deployed-with": FAKE_KEY_ID}),
        {"EN004"},
        id="access-key-id-in-a-label",
    ),
    pytest.param(
        "execution",
        lambda p: _set(stmt(p, "ReadServiceSecrets"), "Sid", "ReadServiceSecrets" + FAKE_KEY_ID),
        {"EN004"},
        id="access-key-id-in-a-policy",
    ),
]

ARN_DEFECTS = [
    pytest.param(
        "execution",
        lambda p: _set(
            stmt(p, "ReadServiceSecrets"),
            "Resource",
            "arn:${Partition}:ssm:${Region}:*:parameter${ParameterPath}*",
        ),
        {"AR001", "EX007"},
        id="star-as-account-in-ssm-arn",
    ),
    pytest.param(
        "execution",
        lambda p: _set(
            stmt(p, "AwslogsWriteServiceLogGroup"),
            "Resource",
            "arn:${Partition}:logs:*:${AccountId}:log-group:${LogGroup}:*",
        ),
        {"AR001", "EX007"},
        id="star-as-region-in-logs-arn",
    ),
    pytest.param(
        "execution",
        lambda p: _set(
            stmt(p, "DecryptServiceSecrets"),
            "Resource",
            "arn:${Partition}:kms:${Region}:111122223333:key/00000000-0000-0000-0000-000000000000",
        ),
        {"AR002", "EX003", "EX007"},
        id="kms-key-in-another-account",
    ),
]

POLICY_DEFECTS = [
    pytest.param(
        "task", lambda p: _set(p, "Version", "2008-10-17"), {"PL001"}, id="old-policy-version"
    ),
    pytest.param(
        "task",
        lambda p: add_stmt(p, {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),
        {"PL002"},
        id="allow-with-not-action",
    ),
    pytest.param(
        "execution",
        lambda p: (
            stmt(p, "ReadServiceSecrets").update(
                {"NotResource": "arn:${Partition}:ssm:${Region}:${AccountId}:parameter/other/*"}
            )
            or _drop(stmt(p, "ReadServiceSecrets"), "Resource")
        ),
        {"PL002"},
        id="allow-with-not-resource",
    ),
    pytest.param(
        "trust",
        lambda p: stmt(p, "EcsTasksInThisAccountAndRegion").update(
            {"NotPrincipal": stmt(p, "EcsTasksInThisAccountAndRegion").pop("Principal")}
        ),
        {"PL002"},
        id="trust-allow-with-not-principal",
    ),
    pytest.param(
        "execution",
        lambda p: stmt(p, "AwslogsWriteServiceLogGroup").update(
            {"Resources": stmt(p, "AwslogsWriteServiceLogGroup").pop("Resource")}
        ),
        {"PL003", "EX004"},
        id="resources-typo",
    ),
    pytest.param(
        "task",
        lambda p: _set(
            stmt(p, "SendReceiveConfirmOnServiceQueues"), "Principal", {"AWS": "${TaskRoleArn}"}
        ),
        {"PL003"},
        id="principal-in-permission-policy",
    ),
    pytest.param(
        "task",
        lambda p: _set(p, "Statement", []),
        {"PL003", "TR001"},
        id="no-statements",
    ),
]

ACTION_DEFECTS = [
    pytest.param(
        "task",
        lambda p: stmt(p, "SendReceiveConfirmOnServiceQueues")["Action"].__setitem__(
            1, "sqs:RecieveMessage"
        ),
        {"IA001", "TR001"},
        id="misspelt-action",
    ),
    pytest.param(
        "task",
        lambda p: stmt(p, "SendReceiveConfirmOnServiceQueues")["Action"].append("sqs:Frobnicate*"),
        {"IA001"},
        id="wildcard-matching-no-action",
    ),
    pytest.param(
        "task",
        lambda p: stmt(p, "SendReceiveConfirmOnServiceQueues")["Action"].append("SendMessage"),
        {"IA001"},
        id="action-without-service-prefix",
    ),
    pytest.param(
        "execution",
        lambda p: _set(stmt(p, "DecryptServiceSecrets"), "Resource", "*"),
        {"IA002"},
        id="kms-on-resource-star",
    ),
    pytest.param(
        "execution",
        lambda p: _set(stmt(p, "AwslogsWriteServiceLogGroup"), "Resource", "*"),
        {"IA002"},
        id="logs-on-resource-star",
    ),
    pytest.param(
        "execution",
        lambda p: (
            drop_stmt(p, "EcrAuthorizationToken")
            or stmt(p, "EcrPullServiceImage")["Action"].append("ecr:GetAuthorizationToken")
        ),
        {"IA003", "EX005"},
        id="authorization-token-scoped-to-repository",
    ),
]

EXECUTION_DEFECTS = [
    pytest.param(
        "execution",
        lambda p: drop_stmt(p, "ReadServiceSecrets"),
        {"EX001"},
        id="secrets-not-readable",
    ),
    pytest.param(
        "execution",
        lambda p: _set(stmt(p, "ReadServiceSecrets"), "Action", "ssm:GetParameter"),
        {"EX002", "EX006"},
        id="ssm-get-parameter-singular",
    ),
    pytest.param(
        "execution",
        lambda p: add_stmt(p, {"Effect": "Deny", "Action": "ssm:GetParameters", "Resource": "*"}),
        {"EX001"},
        id="secrets-read-denied",
    ),
    pytest.param(
        "execution", lambda p: drop_stmt(p, "DecryptServiceSecrets"), {"EX003"}, id="no-kms-decrypt"
    ),
    pytest.param(
        "execution",
        lambda p: _set(stmt(p, "AwslogsWriteServiceLogGroup"), "Resource", "${LogGroupArn}"),
        {"EX004"},
        id="log-group-arn-without-streams",
    ),
    pytest.param(
        "taskdef",
        lambda td: _set(log_options(td), "awslogs-create-group", "true"),
        {"EX004"},
        id="awslogs-create-group-without-permission",
    ),
    pytest.param(
        "execution",
        lambda p: drop_stmt(p, "EcrPullServiceImage"),
        {"EX005"},
        id="ecr-repository-not-pullable",
    ),
    pytest.param(
        "execution", lambda p: drop_stmt(p, "EcrAuthorizationToken"), {"EX005"}, id="no-ecr-token"
    ),
    pytest.param(
        "execution",
        lambda p: _set(
            stmt(p, "DecryptServiceSecrets"),
            "Action",
            ["kms:Decrypt", "kms:GetPublicKey", "kms:GenerateDataKey", "kms:DescribeKey"],
        ),
        {"EX006"},
        id="unneeded-kms-actions",
    ),
    pytest.param(
        "execution",
        lambda p: _set(
            stmt(p, "ReadServiceSecrets"),
            "Action",
            ["ssm:GetParameters", "ssm:GetParametersByPath"],
        ),
        {"EX006"},
        id="unneeded-parameters-by-path",
    ),
    pytest.param(
        "execution",
        lambda p: _set(
            stmt(p, "ReadServiceSecrets"),
            "Resource",
            "arn:${Partition}:ssm:${Region}:${AccountId}:parameter/*",
        ),
        {"EX007"},
        id="every-parameter-in-the-account",
    ),
]

TASK_ROLE_DEFECTS = [
    pytest.param(
        "task",
        lambda p: stmt(p, "SendReceiveConfirmOnServiceQueues")["Action"].remove(
            "sqs:DeleteMessage"
        ),
        {"TR001", "TR002"},
        id="consumer-without-delete-message",
    ),
    pytest.param(
        "task",
        lambda p: stmt(p, "SendReceiveConfirmOnServiceQueues")["Action"].append("sqs:PurgeQueue"),
        {"TR003"},
        id="unneeded-purge-queue",
    ),
    pytest.param(
        "task",
        lambda p: _set(stmt(p, "SendReceiveConfirmOnServiceQueues"), "Action", "sqs:*"),
        {"TR003"},
        id="every-sqs-action",
    ),
    pytest.param(
        "task",
        lambda p: _set(
            stmt(p, "SendReceiveConfirmOnServiceQueues"),
            "Resource",
            "arn:${Partition}:sqs:${Region}:${AccountId}:*",
        ),
        {"TR004"},
        id="every-queue-in-the-account",
    ),
    pytest.param(
        "task",
        lambda p: stmt(p, "SendReceiveConfirmOnServiceQueues")["Resource"].append(
            "arn:${Partition}:sqs:${Region}:${AccountId}:${PendingQueueName}-dlq"
        ),
        {"TR004"},
        id="queue-the-service-does-not-use",
    ),
    pytest.param(
        "task",
        lambda p: stmt(p, "SendReceiveConfirmOnServiceQueues")["Resource"].pop(),
        {"TR001"},
        id="one-queue-not-granted",
    ),
]

SEPARATION_DEFECTS = [
    pytest.param(
        "execution",
        lambda p: add_stmt(
            p, {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "${PendingQueueArn}"}
        ),
        {"SD001"},
        id="execution-role-sends-messages",
    ),
    pytest.param(
        "task",
        lambda p: add_stmt(
            p,
            {"Effect": "Allow", "Action": "ssm:GetParameters", "Resource": "${ApiKeyParameterArn}"},
        ),
        {"SD002"},
        id="task-role-reads-secrets",
    ),
    pytest.param(
        "task",
        lambda p: add_stmt(
            p, {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}
        ),
        {"SD002"},
        id="task-role-gets-ecr-token",
    ),
]

TRUST_DEFECTS = [
    pytest.param(
        "trust",
        lambda p: _drop(stmt(p, "EcsTasksInThisAccountAndRegion"), "Condition"),
        {"TP003", "TP004"},
        id="trust-policy-without-conditions",
    ),
    pytest.param(
        "trust",
        lambda p: _drop(stmt(p, "EcsTasksInThisAccountAndRegion")["Condition"], "ArnLike"),
        {"TP004"},
        id="trust-policy-without-source-arn",
    ),
    pytest.param(
        "trust",
        lambda p: _set(
            stmt(p, "EcsTasksInThisAccountAndRegion"),
            "Principal",
            {"Service": ["ecs-tasks.amazonaws.com", "ec2.amazonaws.com"]},
        ),
        {"TP001"},
        id="trust-policy-also-trusts-ec2",
    ),
    pytest.param(
        "trust",
        lambda p: _set(stmt(p, "EcsTasksInThisAccountAndRegion"), "Principal", {"AWS": "*"}),
        {"TP001"},
        id="trust-policy-trusts-everyone",
    ),
    pytest.param(
        "trust",
        lambda p: _set(
            stmt(p, "EcsTasksInThisAccountAndRegion"),
            "Principal",
            [{"Service": "ecs-tasks.amazonaws.com"}],
        ),
        {"TP001"},
        id="trust-principal-as-a-list",
    ),
    pytest.param(
        "trust",
        lambda p: _set(
            stmt(p, "EcsTasksInThisAccountAndRegion"),
            "Action",
            ["sts:AssumeRole", "sts:TagSession"],
        ),
        {"TP002"},
        id="trust-policy-extra-action",
    ),
    pytest.param(
        "trust",
        lambda p: _set(
            stmt(p, "EcsTasksInThisAccountAndRegion")["Condition"]["StringEquals"],
            "aws:SourceAccount",
            "111122223333",
        ),
        {"TP005"},
        id="source-account-of-another-account",
    ),
    pytest.param(
        "trust",
        lambda p: _set(
            stmt(p, "EcsTasksInThisAccountAndRegion")["Condition"]["ArnLike"],
            "aws:SourceArn",
            "arn:${Partition}:ecs:eu-west-1:${AccountId}:*",
        ),
        {"TP005", "AR002"},
        id="source-arn-in-another-region",
    ),
]

ALL_DEFECTS = (
    TASK_DEFINITION_DEFECTS
    + ENVIRONMENT_DEFECTS
    + ARN_DEFECTS
    + POLICY_DEFECTS
    + ACTION_DEFECTS
    + EXECUTION_DEFECTS
    + TASK_ROLE_DEFECTS
    + SEPARATION_DEFECTS
    + TRUST_DEFECTS
)


@pytest.mark.parametrize(("file", "change", "codes"), ALL_DEFECTS)
def test_broken_fixture_is_reported_with_its_codes(
    artifacts: ArtifactCopy, file, change, codes
) -> None:
    artifacts.edit(file, change)
    report = artifacts.check()
    assert report.codes == codes, "\n".join(
        f"{f.code} {f.path}: {f.message}" for f in report.findings
    )


@pytest.mark.parametrize(
    ("calls", "codes"),
    [
        pytest.param(
            (*CALLS, AwsCall("sqs:DeleteMessageBatch", QUEUES, "service.queues.delete_all")),
            {"TR005"},
            id="batch-call-declared-as-its-own-action",
        ),
        pytest.param(
            (*CALLS, AwsCall("s3:GetObject", "buckets", "service.queues.archive")),
            {"TR006"},
            id="declared-scope-unknown",
        ),
        pytest.param(
            (*CALLS, AwsCall("sqs:PurgeQueue", ALWAYS_ALLOWED, "service.queues.purge")),
            {"TR006"},
            id="authorised-action-declared-always-allowed",
        ),
        pytest.param(
            (*CALLS, AwsCall("sqs:ListQueues", QUEUES, "service.queues.list")),
            {"TR001"},
            id="declared-call-not-granted",
        ),
        pytest.param(
            tuple(call for call in CALLS if call.action != "sqs:ChangeMessageVisibility"),
            {"TR003"},
            id="granted-action-no-longer-called",
        ),
    ],
)
def test_declared_calls_are_matched_both_ways(artifacts: ArtifactCopy, calls, codes) -> None:
    artifacts.calls = calls
    assert artifacts.check().codes == codes


def test_every_rule_has_a_broken_fixture() -> None:
    from checker.ruleset import RULES

    covered = set().union(*(param.values[2] for param in ALL_DEFECTS)) | {"TR005", "TR006"}
    assert {rule.code for rule in RULES} <= covered
