"""plan and deploy against a moto server: everything created, rendered documents sent as checked,
idempotent re-runs, and changes to the artifacts, the image or the account detected and applied."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from artifacts.context import DeploymentContext
from artifacts.render import EXECUTION_POLICY, POLICIES_DIR, TASK_POLICY, TASKDEF_FILE, dumps
from ecsdeploy import taskdef
from ecsdeploy.desired import ecs_service_name, inline_policy_name, scaling_policy_name
from ecsdeploy.tags import ENV_TAG, SERVICE_TAG
from tests.ecsdeploy.conftest import (
    Result,
    Vpc,
    deployment_args,
    new_context,
    operator_env,
    run_cli,
)
from tests.ecsdeploy.inspect_aws import (
    active_revisions,
    deployed_key_id,
    queue_url,
    rendered_as_deployed,
    role_exists,
    stored_role_policy,
    stored_trust_policy,
)

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Deployed:
    context: DeploymentContext
    args: list[str]
    result: Result


@pytest.fixture(scope="module")
def deployed(
    moto_endpoint: str, vpc: Vpc, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployed]:
    """One deployment made once for the tests that only look at it."""
    context = new_context()
    args = deployment_args(context, vpc)
    with pytest.MonkeyPatch.context() as patch:
        operator_env(patch, moto_endpoint, tmp_path_factory.mktemp("operator"))
        result = run_cli("deploy", *args)
    assert result.code == 0, result.text
    yield Deployed(context, args, result)


def every_resource_name(context: DeploymentContext) -> list[str]:
    return [
        context.parameter_key_alias,
        context.log_group,
        context.ecr_repository,
        context.dead_letter_queue_name,
        context.pending_queue_name,
        context.confirmed_queue_name,
        context.api_key_parameter,
        context.execution_role_name,
        f"{context.execution_role_name}/{inline_policy_name(EXECUTION_POLICY)}",
        context.task_role_name,
        f"{context.task_role_name}/{inline_policy_name(TASK_POLICY)}",
        context.cluster_name,
        context.task_family,
        ecs_service_name(context),
        scaling_policy_name(context),
    ]


def test_plan_on_an_empty_account_lists_every_resource_and_changes_nothing(
    cli, aws, context, deploy_args
):
    result = cli("plan", *deploy_args)

    assert result.code == 0, result.err
    plan_lines = [line for line in result.out.splitlines() if line.startswith("  + ")]
    for name in every_resource_name(context):
        assert any(name in line for line in plan_lines), f"{name} missing from the plan"
    assert "0 to update, 0 to delete" in result.out
    assert queue_url(aws, context.pending_queue_name) is None
    assert not role_exists(aws, context.task_role_name)
    assert active_revisions(aws, context.task_family) == []


def test_deploy_sends_the_rendered_documents_byte_for_byte(aws, deployed):
    context = deployed.context
    rendered = rendered_as_deployed(aws, context)
    for role, policy_file, document in (
        (context.execution_role_name, EXECUTION_POLICY, rendered.execution_policy),
        (context.task_role_name, TASK_POLICY, rendered.task_policy),
    ):
        assert stored_trust_policy(aws, role) == dumps(rendered.trust_policy)
        assert stored_role_policy(aws, role, inline_policy_name(policy_file)) == dumps(document)
    # The execution role may decrypt exactly the key deploy created for the parameter.
    assert deployed_key_id(aws, context) in dumps(rendered.execution_policy)

    described = aws.ecs.describe_task_definition(taskDefinition=context.task_family)
    assert taskdef.differences(rendered.task_definition, described["taskDefinition"]) == []
    for field, value in rendered.task_definition.items():
        if field != "containerDefinitions":
            assert described["taskDefinition"][field] == value


def test_deploy_creates_every_resource_tagged_and_configured(aws, deployed, vpc):
    context = deployed.context
    ours = {SERVICE_TAG: context.service, ENV_TAG: context.env}

    pending = aws.sqs.get_queue_attributes(
        QueueUrl=queue_url(aws, context.pending_queue_name), AttributeNames=["All"]
    )["Attributes"]
    redrive = json.loads(pending["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"] == context.queue_arn(context.dead_letter_queue_name)
    assert int(redrive["maxReceiveCount"]) > 0
    for name in (*context.queue_names, context.dead_letter_queue_name):
        assert aws.sqs.list_queue_tags(QueueUrl=queue_url(aws, name))["Tags"] == ours

    parameter = aws.ssm.describe_parameters(
        ParameterFilters=[{"Key": "Name", "Values": [context.api_key_parameter]}]
    )["Parameters"][0]
    assert parameter["Type"] == "SecureString"
    assert parameter["KeyId"] == context.parameter_key_alias

    group = aws.logs.describe_log_groups(logGroupNamePrefix=context.log_group)["logGroups"][0]
    assert group["retentionInDays"] == 30
    repository = aws.ecr.describe_repositories(repositoryNames=[context.ecr_repository])
    assert repository["repositories"][0]["imageTagMutability"] == "IMMUTABLE"
    assert repository["repositories"][0]["imageScanningConfiguration"] == {"scanOnPush": True}
    assert aws.kms.get_key_rotation_status(KeyId=deployed_key_id(aws, context))[
        "KeyRotationEnabled"
    ]

    service = aws.ecs.describe_services(
        cluster=context.cluster_name, services=[ecs_service_name(context)], include=["TAGS"]
    )["services"][0]
    network = service["networkConfiguration"]["awsvpcConfiguration"]
    assert sorted(network["subnets"]) == sorted(vpc.subnets)
    assert network["securityGroups"] == [vpc.security_group]
    assert network["assignPublicIp"] == "DISABLED"
    assert service["launchType"] == "FARGATE"
    assert service["taskDefinition"] == active_revisions(aws, context.task_family)[-1]
    assert {t["key"]: t["value"] for t in service["tags"]} == ours

    resource_id = f"service/{context.cluster_name}/{ecs_service_name(context)}"
    target = aws.application_autoscaling.describe_scalable_targets(
        ServiceNamespace="ecs", ResourceIds=[resource_id]
    )["ScalableTargets"][0]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (1, 4)
    policy = aws.application_autoscaling.describe_scaling_policies(
        ServiceNamespace="ecs", ResourceId=resource_id
    )["ScalingPolicies"][0]
    metric = policy["TargetTrackingScalingPolicyConfiguration"]["CustomizedMetricSpecification"]
    assert metric["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert metric["Dimensions"] == [{"Name": "QueueName", "Value": context.pending_queue_name}]


def test_deploy_never_prints_the_generated_api_key(aws, deployed):
    name = deployed.context.api_key_parameter
    secret = aws.ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]

    assert len(secret) >= 32
    assert secret not in deployed.result.text


def test_a_second_deploy_changes_nothing_and_says_so(cli, aws, deployed):
    context, deploy_args = deployed.context, deployed.args
    key_id = deployed_key_id(aws, context)
    api_key = aws.ssm.get_parameter(Name=context.api_key_parameter, WithDecryption=True)

    again = cli("deploy", *deploy_args)

    assert again.code == 0, again.text
    assert "No changes" in again.out
    assert "done:" not in again.out
    assert len(active_revisions(aws, context.task_family)) == 1
    assert deployed_key_id(aws, context) == key_id
    unchanged = aws.ssm.get_parameter(Name=context.api_key_parameter, WithDecryption=True)
    assert unchanged["Parameter"]["Value"] == api_key["Parameter"]["Value"]


def test_a_changed_task_role_policy_is_detected_and_applied(
    cli, aws, context, deploy_args, tmp_path
):
    assert cli("deploy", *deploy_args).code == 0
    policies = tmp_path / "policies"
    shutil.copytree(POLICIES_DIR, policies)
    task_policy = json.loads((policies / TASK_POLICY).read_text())
    task_policy["Statement"][0]["Action"] = task_policy["Statement"][0]["Action"][:-1]
    (policies / TASK_POLICY).write_text(json.dumps(task_policy))
    policy_name = inline_policy_name(TASK_POLICY)

    plan = cli("plan", *deploy_args, "--policies", str(policies))
    applied = cli("deploy", *deploy_args, "--policies", str(policies))

    assert plan.code == 0
    assert f"~ update   iam role policy {context.task_role_name}/{policy_name}" in plan.out
    assert "0 to create, 1 to update, 0 to delete" in plan.out
    assert applied.code == 0, applied.text
    rendered = rendered_as_deployed(aws, context, policies_dir=policies)
    stored = stored_role_policy(aws, context.task_role_name, policy_name)
    assert stored == dumps(rendered.task_policy)
    assert "No changes" in cli("plan", *deploy_args, "--policies", str(policies)).out


def test_a_changed_task_definition_registers_a_revision_the_service_runs(
    cli, aws, context, deploy_args, tmp_path
):
    assert cli("deploy", *deploy_args).code == 0
    document = json.loads(TASKDEF_FILE.read_text())
    document["containerDefinitions"][0]["stopTimeout"] += 15
    changed = tmp_path / "taskdef.json"
    changed.write_text(json.dumps(document))

    plan = cli("plan", *deploy_args, "--taskdef", str(changed))
    applied = cli("deploy", *deploy_args, "--taskdef", str(changed))

    assert "+ register task definition" in plan.out
    assert "stopTimeout" in plan.out
    assert "~ update   ecs service" in plan.out
    assert applied.code == 0, applied.text
    revisions = active_revisions(aws, context.task_family)
    assert len(revisions) == 2
    service = aws.ecs.describe_services(
        cluster=context.cluster_name, services=[ecs_service_name(context)]
    )["services"][0]
    assert service["taskDefinition"] == revisions[-1]
    assert "No changes" in cli("deploy", *deploy_args, "--taskdef", str(changed)).out


def test_a_new_image_tag_registers_a_revision_with_that_image(cli, aws, context, deploy_args):
    assert cli("deploy", *deploy_args).code == 0

    result = cli("deploy", *deploy_args, "--image-tag", "release-2")

    assert result.code == 0, result.text
    assert "containerDefinitions[" in result.out
    described = aws.ecs.describe_task_definition(taskDefinition=context.task_family)
    image = described["taskDefinition"]["containerDefinitions"][0]["image"]
    assert image == f"{context.ecr_registry}/{context.ecr_repository}:release-2"
    assert "is not in ECR yet" in result.out


def test_drift_in_the_account_is_repaired(cli, aws, context, deploy_args):
    assert cli("deploy", *deploy_args).code == 0
    aws.logs.put_retention_policy(logGroupName=context.log_group, retentionInDays=7)
    aws.iam.put_role_policy(
        RoleName=context.task_role_name,
        PolicyName="added-by-hand",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
            }
        ),
    )
    aws.sqs.set_queue_attributes(
        QueueUrl=queue_url(aws, context.pending_queue_name), Attributes={"RedrivePolicy": ""}
    )

    result = cli("deploy", *deploy_args)

    assert result.code == 0, result.text
    assert "retention 7 -> 30 days" in result.out
    assert f"delete   iam role policy {context.task_role_name}/added-by-hand" in result.out
    assert "set RedrivePolicy" in result.out
    assert aws.iam.list_role_policies(RoleName=context.task_role_name)["PolicyNames"] == [
        inline_policy_name(TASK_POLICY)
    ]
    assert "No changes" in cli("plan", *deploy_args).out


def test_a_same_named_resource_without_our_tags_stops_deploy_before_any_change(
    cli, aws, context, deploy_args
):
    aws.sqs.create_queue(QueueName=context.confirmed_queue_name)

    result = cli("deploy", *deploy_args)

    assert result.code == 1
    assert f"! conflict  sqs queue {context.confirmed_queue_name}" in result.out
    assert "Nothing was changed" in result.err
    assert queue_url(aws, context.pending_queue_name) is None
    assert not role_exists(aws, context.execution_role_name)


def test_task_bounds_come_from_min_tasks_and_max_tasks(cli, aws, context, deploy_args, monkeypatch):
    monkeypatch.setenv("MIN_TASKS", "2")
    monkeypatch.setenv("MAX_TASKS", "6")

    assert cli("deploy", *deploy_args).code == 0

    resource_id = f"service/{context.cluster_name}/{ecs_service_name(context)}"
    target = aws.application_autoscaling.describe_scalable_targets(
        ServiceNamespace="ecs", ResourceIds=[resource_id]
    )["ScalableTargets"][0]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (2, 6)
    service = aws.ecs.describe_services(
        cluster=context.cluster_name, services=[ecs_service_name(context)]
    )["services"][0]
    assert service["desiredCount"] == 2


def test_public_ip_only_when_asked(cli, aws, context, deploy_args):
    assert cli("deploy", *deploy_args).code == 0

    result = cli("deploy", *deploy_args, "--assign-public-ip")

    assert result.code == 0, result.text
    service = aws.ecs.describe_services(
        cluster=context.cluster_name, services=[ecs_service_name(context)]
    )["services"][0]
    assert service["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "ENABLED"
    # UpdateService stores the deployment configuration in moto too: the circuit breaker is on.
    assert service["deploymentConfiguration"]["deploymentCircuitBreaker"] == {
        "enable": True,
        "rollback": True,
    }


def test_deploy_into_an_existing_cluster_leaves_that_cluster_alone(cli, aws, context, deploy_args):
    shared = f"{context.prefix}-shared"
    aws.ecs.create_cluster(clusterName=shared)

    deployed = cli("deploy", *deploy_args, "--cluster", shared)
    destroyed = cli(
        "destroy",
        "--service",
        context.service,
        "--env",
        context.env,
        "--cluster",
        shared,
        "--yes",
        "--no-wait",
    )

    assert deployed.code == 0, deployed.text
    assert "was not created by this tool" in deployed.out
    assert destroyed.code == 0, destroyed.text
    assert f"left alone: ecs cluster {shared}" in destroyed.out
    clusters = aws.ecs.describe_clusters(clusters=[shared])["clusters"]
    assert clusters[0]["status"] == "ACTIVE"
