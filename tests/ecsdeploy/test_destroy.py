"""destroy against a moto server: everything of ours goes, nothing of anyone else's is touched."""

from __future__ import annotations

import json

import pytest

from ecsdeploy.desired import ecs_service_name
from tests.ecsdeploy.conftest import run_cli
from tests.ecsdeploy.inspect_aws import active_revisions, queue_url, role_exists

pytestmark = pytest.mark.integration

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def nothing_of_ours_left(aws, context) -> None:
    for name in (*context.queue_names, context.dead_letter_queue_name):
        assert queue_url(aws, name) is None, name
    for role in (context.execution_role_name, context.task_role_name):
        assert not role_exists(aws, role), role
    assert (
        aws.ssm.describe_parameters(
            ParameterFilters=[{"Key": "Name", "Values": [context.api_key_parameter]}]
        )["Parameters"]
        == []
    )
    groups = aws.logs.describe_log_groups(logGroupNamePrefix=context.log_group)["logGroups"]
    assert context.log_group not in [group["logGroupName"] for group in groups]
    with pytest.raises(aws.ecr.exceptions.RepositoryNotFoundException):
        aws.ecr.describe_repositories(repositoryNames=[context.ecr_repository])
    with pytest.raises(aws.kms.exceptions.NotFoundException):
        aws.kms.describe_key(KeyId=context.parameter_key_alias)
    assert active_revisions(aws, context.task_family) == []
    services = aws.ecs.describe_services(
        cluster=context.cluster_name, services=[ecs_service_name(context)]
    )["services"]
    assert all(service["status"] == "INACTIVE" for service in services)
    clusters = aws.ecs.describe_clusters(clusters=[context.cluster_name])["clusters"]
    assert all(cluster["status"] == "INACTIVE" for cluster in clusters)
    resource_id = f"service/{context.cluster_name}/{ecs_service_name(context)}"
    assert (
        aws.application_autoscaling.describe_scalable_targets(
            ServiceNamespace="ecs", ResourceIds=[resource_id]
        )["ScalableTargets"]
        == []
    )


def test_destroy_removes_everything_of_ours_and_nothing_else(
    cli, aws, context, deploy_args, names_args
):
    assert cli("deploy", *deploy_args).code == 0
    key_id = aws.kms.describe_key(KeyId=context.parameter_key_alias)["KeyMetadata"]["KeyId"]
    # Someone else's resources beside ours, of the same kinds, without our tags.
    foreign_queue = aws.sqs.create_queue(QueueName=f"{context.prefix}-reports")["QueueUrl"]
    aws.iam.create_role(RoleName=f"{context.prefix}-ci", AssumeRolePolicyDocument=TRUST)
    aws.logs.create_log_group(logGroupName=f"{context.log_group}-audit")

    result = cli("destroy", *names_args, "--yes", "--no-wait")

    assert result.code == 0, result.text
    nothing_of_ours_left(aws, context)
    key = aws.kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert key["KeyState"] == "PendingDeletion"
    assert queue_url(aws, f"{context.prefix}-reports") == foreign_queue
    assert role_exists(aws, f"{context.prefix}-ci")
    assert aws.logs.describe_log_groups(logGroupNamePrefix=f"{context.log_group}-audit")[
        "logGroups"
    ]
    again = cli("destroy", *names_args, "--yes", "--no-wait")
    assert again.code == 0
    assert "Nothing to delete" in again.out


def test_destroy_leaves_same_named_resources_it_did_not_create(cli, aws, context, names_args):
    aws.sqs.create_queue(QueueName=context.pending_queue_name)
    aws.iam.create_role(RoleName=context.task_role_name, AssumeRolePolicyDocument=TRUST)
    aws.logs.create_log_group(logGroupName=context.log_group)
    aws.ssm.put_parameter(Name=context.api_key_parameter, Type="SecureString", Value="theirs")
    aws.ecr.create_repository(repositoryName=context.ecr_repository)
    aws.ecs.create_cluster(clusterName=context.cluster_name)

    result = cli("destroy", *names_args, "--yes", "--no-wait")

    assert result.code == 0, result.text
    assert "Nothing to delete" in result.out
    for left in (
        f"sqs queue {context.pending_queue_name}",
        f"iam role {context.task_role_name}",
        f"log group {context.log_group}",
        f"ssm parameter {context.api_key_parameter}",
        f"ecr repository {context.ecr_repository}",
        f"ecs cluster {context.cluster_name}",
    ):
        assert f"left alone: {left}" in result.out
    assert queue_url(aws, context.pending_queue_name) is not None
    assert role_exists(aws, context.task_role_name)
    assert (
        aws.ssm.get_parameter(Name=context.api_key_parameter, WithDecryption=True)["Parameter"][
            "Value"
        ]
        == "theirs"
    )
    assert (
        aws.ecs.describe_clusters(clusters=[context.cluster_name])["clusters"][0]["status"]
        == "ACTIVE"
    )


def test_destroy_without_yes_deletes_only_after_a_yes(cli, aws, context, deploy_args, names_args):
    assert cli("deploy", *deploy_args).code == 0

    for answer in ("", "n\n", "no\n", "later\n"):
        refused = run_cli("destroy", *names_args, "--no-wait", stdin=answer)
        assert refused.code == 1, answer
        assert "Delete these resources" in refused.err
        assert "Nothing deleted." in refused.out
        assert role_exists(aws, context.task_role_name)
        assert queue_url(aws, context.pending_queue_name) is not None

    confirmed = run_cli("destroy", *names_args, "--no-wait", stdin="yes\n")

    assert confirmed.code == 0, confirmed.text
    nothing_of_ours_left(aws, context)


def test_destroy_reports_an_ecr_repository_that_still_holds_images(
    cli, aws, context, deploy_args, names_args
):
    assert cli("deploy", *deploy_args).code == 0
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 1,
                "digest": "sha256:" + "a" * 64,
            },
            "layers": [],
        }
    )
    aws.ecr.put_image(repositoryName=context.ecr_repository, imageManifest=manifest, imageTag="v1")

    result = cli("destroy", *names_args, "--yes", "--no-wait")

    assert result.code == 0, result.text
    assert f"kept ecr repository {context.ecr_repository}: it holds images" in result.out
    assert aws.ecr.describe_repositories(repositoryNames=[context.ecr_repository])["repositories"]
    assert not role_exists(aws, context.task_role_name)
