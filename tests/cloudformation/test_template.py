"""The template: up to date, one source with policies/ and taskdef/, and what moto cannot show."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest

from artifacts import DeploymentContext, render_artifacts
from artifacts.template import (
    CHECKOV_SKIPS,
    TEMPLATE_FILE,
    build_template,
    render_template_text,
    sub,
)
from checker.template_source import load_template, template_artifacts
from tests.support.processes import PROJECT_ROOT, clean_env

TEMPLATE = build_template()
RESOURCES = TEMPLATE["Resources"]


def props(logical_id: str) -> dict:
    return RESOURCES[logical_id]["Properties"]


def test_committed_template_is_up_to_date() -> None:
    assert TEMPLATE_FILE.read_text(encoding="utf-8") == render_template_text(), (
        "cloudformation/template.yaml is stale: run `make template`"
    )


def test_committed_template_parses_to_the_built_document() -> None:
    assert load_template(TEMPLATE_FILE) == TEMPLATE


def test_roles_and_task_definition_are_the_rendered_artifacts() -> None:
    context = DeploymentContext()
    rendered = render_artifacts(context)
    from_template = template_artifacts(TEMPLATE_FILE, context)
    assert from_template.trust_policy == rendered.trust_policy
    assert from_template.execution_policy == rendered.execution_policy
    assert from_template.task_definition == rendered.task_definition
    allows = [s for s in from_template.task_policy["Statement"] if s["Effect"] == "Allow"]
    assert allows == rendered.task_policy["Statement"]


def test_a_changed_context_changes_the_resolved_names() -> None:
    context = DeploymentContext(account_id="111122223333", region="eu-west-1")
    resolved = template_artifacts(TEMPLATE_FILE, context)
    assert resolved.task_definition == render_artifacts(context).task_definition


def test_task_role_denies_iam_explicitly() -> None:
    (deny,) = props("TaskRoleDenyIam")["PolicyDocument"]["Statement"]
    assert (deny["Effect"], deny["Action"], deny["Resource"]) == ("Deny", "iam:*", "*")
    assert props("TaskRoleDenyIam")["Roles"] == [{"Ref": "TaskRole"}]


def test_both_roles_trust_ecs_tasks_of_this_account_and_region_only() -> None:
    for role in ("ExecutionRole", "TaskRole"):
        (statement,) = props(role)["AssumeRolePolicyDocument"]["Statement"]
        assert statement["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
        assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == {
            "Fn::Sub": "${AWS::AccountId}"
        }
        assert statement["Condition"]["ArnLike"]["aws:SourceArn"] == {
            "Fn::Sub": "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:*"
        }


def test_key_policy_lets_the_task_role_use_the_key_through_sqs_only() -> None:
    statements = props("ParametersKey")["KeyPolicy"]["Statement"]
    (task,) = [s for s in statements if s["Principal"] == {"AWS": {"Fn::Sub": "${TaskRole.Arn}"}}]
    assert task["Action"] == ["kms:GenerateDataKey", "kms:Decrypt"]
    assert task["Condition"] == {
        "StringEquals": {"kms:ViaService": {"Fn::Sub": "sqs.${AWS::Region}.${AWS::URLSuffix}"}}
    }
    for queue in ("PendingQueue", "ConfirmedQueue", "DeadLetterQueue"):
        assert props(queue)["KmsMasterKeyId"] == {"Ref": "ParametersKey"}


# What moto's CloudFormation drops or skips is asserted here, on the template itself.
def test_service_runs_on_fargate_with_circuit_breaker_and_no_exec() -> None:
    service = props("Service")
    assert service["LaunchType"] == "FARGATE"
    assert service["EnableExecuteCommand"] is False
    assert service["DeploymentConfiguration"]["DeploymentCircuitBreaker"] == {
        "Enable": True,
        "Rollback": True,
    }
    network = service["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert network["SecurityGroups"] == [{"Ref": "ServiceSecurityGroup"}]
    definition = props("TaskDefinition")
    assert (definition["NetworkMode"], definition["RequiresCompatibilities"]) == (
        "awsvpc",
        ["FARGATE"],
    )
    assert definition["ExecutionRoleArn"] != definition["TaskRoleArn"]


def test_tasks_admit_only_the_load_balancer_which_checks_readyz() -> None:
    assert "SecurityGroupIngress" not in props("ServiceSecurityGroup")
    ingress = props("ServiceIngressFromLoadBalancer")
    assert ingress["SourceSecurityGroupId"] == {"Ref": "LoadBalancerSecurityGroup"}
    assert ingress["FromPort"] == ingress["ToPort"] == 8080
    assert props("TargetGroup")["HealthCheckPath"] == "/readyz"
    assert props("TargetGroup")["TargetType"] == "ip"
    assert RESOURCES["HttpsListener"]["Condition"] == "HasCertificate"
    assert RESOURCES["HttpListener"]["Condition"] == "HttpOnly"
    redirect = props("HttpRedirectListener")["DefaultActions"][0]
    assert redirect["RedirectConfig"]["Protocol"] == "HTTPS"


def test_scaling_tracks_pending_backlog_per_running_task() -> None:
    target = props("ScalableTarget")
    assert (target["MinCapacity"], target["MaxCapacity"]) == (
        {"Ref": "MinTasks"},
        {"Ref": "MaxTasks"},
    )
    config = props("BacklogScalingPolicy")["TargetTrackingScalingPolicyConfiguration"]
    metrics = {m["Id"]: m for m in config["CustomizedMetricSpecification"]["Metrics"]}
    assert metrics["backlogPerTask"]["Expression"] == "backlog / tasks"
    assert [m["Id"] for m in metrics.values() if m["ReturnData"]] == ["backlogPerTask"]
    queue = metrics["backlog"]["MetricStat"]["Metric"]["Dimensions"][0]["Value"]
    assert queue == props("PendingQueue")["QueueName"]
    assert metrics["tasks"]["MetricStat"]["Metric"]["Namespace"] == "ECS/ContainerInsights"
    assert props("Cluster")["ClusterSettings"] == [
        {"Name": "containerInsights", "Value": "enabled"}
    ]


def test_repository_is_immutable_scanned_and_retained() -> None:
    repository = RESOURCES["Repository"]
    assert repository["DeletionPolicy"] == "Retain"
    assert repository["Properties"]["ImageTagMutability"] == "IMMUTABLE"
    assert repository["Properties"]["ImageScanningConfiguration"] == {"ScanOnPush": True}


def test_iam_policy_variables_are_escaped_in_sub() -> None:
    assert sub("arn:${AWS::Partition}:s3:::b/${aws:username}") == {
        "Fn::Sub": "arn:${AWS::Partition}:s3:::b/${!aws:username}"
    }
    assert sub("plain") == "plain"
    already = {"Fn::Sub": "${X}"}
    assert sub(copy.deepcopy(already)) == already


def test_cfn_lint_finds_nothing() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), str(TEMPLATE_FILE)],
        capture_output=True, text=True, timeout=120, check=False, env=clean_env(),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_checkov_passes_and_every_skip_has_a_reason() -> None:
    venv = subprocess.run(
        ["make", "--no-print-directory", "-o", "install", "checkov-venv"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600, check=False,
        env=clean_env(),
    )  # fmt: skip
    if venv.returncode != 0:
        pytest.skip("the checkov virtualenv cannot be created here (make checkov-venv failed)")
    result = subprocess.run(
        [str(PROJECT_ROOT / ".venv-checkov" / "bin" / "checkov"), "--quiet", "--compact",
         "--skip-download", "--framework", "cloudformation", "-f", str(TEMPLATE_FILE)],
        capture_output=True, text=True, timeout=300, check=False, env=clean_env(),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]
    skipped = sum(len(skips) for skips in CHECKOV_SKIPS.values())
    assert f"Failed checks: 0, Skipped checks: {skipped}" in result.stdout
    for skips in CHECKOV_SKIPS.values():
        for code, reason in skips:
            assert code.startswith("CKV") and len(reason) > 20
