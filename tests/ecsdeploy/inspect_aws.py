"""Read back what the deploy tool left in the moto server, the way the checker would see it."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from botocore.handlers import json_decode_policies

from artifacts.context import DeploymentContext
from artifacts.render import POLICIES_DIR, TASKDEF_FILE, ArtifactSet, render_artifacts


def deployed_key_id(aws: Any, context: DeploymentContext) -> str:
    """The id of the KMS key behind the deployment's alias."""
    return aws.kms.describe_key(KeyId=context.parameter_key_alias)["KeyMetadata"]["KeyId"]


def rendered_as_deployed(
    aws: Any,
    context: DeploymentContext,
    policies_dir: Path = POLICIES_DIR,
    taskdef_file: Path = TASKDEF_FILE,
) -> ArtifactSet:
    """The artifacts rendered the way the checker renders them, for the deployed account and key."""
    live = dataclasses.replace(context, parameter_key_id=deployed_key_id(aws, context))
    return render_artifacts(live, policies_dir, taskdef_file)


def raw_iam(aws: Any) -> Any:
    """An IAM client that returns policy documents as AWS stores them (URL-encoded text)."""
    client = aws.new("iam")
    client.meta.events.unregister("after-call.iam", json_decode_policies)
    return client


def stored_role_policy(aws: Any, role: str, policy: str) -> str:
    """An inline policy's text as stored, URL-decoded."""
    document = raw_iam(aws).get_role_policy(RoleName=role, PolicyName=policy)["PolicyDocument"]
    return unquote(document)


def stored_trust_policy(aws: Any, role: str) -> str:
    """A role's trust policy text as stored, URL-decoded."""
    return unquote(raw_iam(aws).get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"])


def queue_url(aws: Any, name: str) -> str | None:
    try:
        return aws.sqs.get_queue_url(QueueName=name)["QueueUrl"]
    except aws.sqs.exceptions.QueueDoesNotExist:
        return None


def role_exists(aws: Any, name: str) -> bool:
    try:
        aws.iam.get_role(RoleName=name)
    except aws.iam.exceptions.NoSuchEntityException:
        return False
    return True


def active_revisions(aws: Any, family: str) -> list[str]:
    arns = aws.ecs.list_task_definitions(familyPrefix=family, status="ACTIVE")["taskDefinitionArns"]
    return [arn for arn in arns if arn.rsplit("/", 1)[-1].rsplit(":", 1)[0] == family]
