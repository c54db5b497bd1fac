"""What each role must be allowed to do, derived from the task definition and the service's calls.

The execution role's needs come from the task definition (what the ECS agent does for the task:
pull the image, resolve ``secrets``, ship logs); the task role's needs come from the service's
declared AWS calls. Each need carries the resources a grant must cover and the widest resources a
grant of that action may name, so one list answers both "is it granted?" and "is it too wide?".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from artifacts.context import DeploymentContext
from checker.arnmatch import ANY, split_arn
from service.awscalls import ALWAYS_ALLOWED, QUEUES, AwsCall

# Actions IAM never authorises: any principal with credentials may call them.
UNAUTHORISED_ACTIONS = frozenset({"sts:getcalleridentity"})

# What the ECS agent does with the execution role (and nothing else should use that role for).
AGENT_SERVICES = frozenset({"ecr", "logs", "ssm", "secretsmanager", "kms"})

SSM_READ = "ssm:GetParameters"
SECRETS_MANAGER_READ = "secretsmanager:GetSecretValue"
KMS_DECRYPT = "kms:Decrypt"
ECR_TOKEN = "ecr:GetAuthorizationToken"  # noqa: S105 - an IAM action name
ECR_PULL = ("ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage")
LOGS_WRITE = ("logs:CreateLogStream", "logs:PutLogEvents")
LOGS_CREATE_GROUP = "logs:CreateLogGroup"

_ECR_IMAGE_RE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?"
    r"/(?P<repository>[a-z0-9][a-z0-9._/-]*?)(?::[\w.-]+)?(?:@sha256:[0-9a-f]{64})?$"
)


@dataclass(frozen=True)
class Need:
    """One action a role must be allowed, on what, and why."""

    action: str
    resources: tuple[str, ...]  # a grant covering any one of these satisfies the need
    scope: tuple[str, ...]  # the widest resources a grant of this action may name
    reason: str  # what needs it, in words
    source: str  # the JSON path (or code location) the need comes from

    @property
    def service(self) -> str:
        return self.action.split(":", 1)[0].lower()


@dataclass(frozen=True)
class EcrImage:
    """Where a private ECR image lives: the registry's account and region, and the repository."""

    account: str
    region: str
    repository: str


def parse_ecr_image(image: str) -> EcrImage | None:
    """The registry account, region and repository of a private ECR image reference."""
    match = _ECR_IMAGE_RE.match(image)
    if not match:
        return None
    return EcrImage(match["account"], match["region"], match["repository"])


def secret_arn(value_from: str, context: DeploymentContext) -> str:
    """The ARN ECS resolves a ``secrets[].valueFrom`` to (a bare name is an SSM parameter here)."""
    parts = split_arn(value_from)
    if parts is None:
        return context.arn("ssm", f"parameter/{value_from.lstrip('/')}")
    if parts[2] == "secretsmanager":
        # arn:...:secret:name-AbCdEf[:json-key:version-stage:version-id] names the secret by the
        # first seven fields; the rest select a value inside it.
        return ":".join(value_from.split(":")[:7])
    return value_from


def _containers(task_definition: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    containers = (
        task_definition.get("containerDefinitions") if isinstance(task_definition, dict) else None
    )
    for i, container in enumerate(containers if isinstance(containers, list) else []):
        if isinstance(container, dict):
            yield f"$.containerDefinitions[{i}]", container


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def execution_needs(task_definition: Any, context: DeploymentContext) -> tuple[Need, ...]:
    """What the ECS agent does with the execution role to start this task definition."""
    variables = context.variables()
    parameter_scope = variables["ParameterPathArn"] + ANY
    needs: list[Need] = []
    for path, container in _containers(task_definition):
        name = container.get("name")
        reads_parameters = False
        for j, secret in enumerate(_list(container.get("secrets"))):
            value_from = secret.get("valueFrom") if isinstance(secret, dict) else None
            if not isinstance(value_from, str) or not value_from:
                continue
            arn = secret_arn(value_from, context)
            source = f"{path}.secrets[{j}].valueFrom"
            reason = f"secret {secret.get('name')!r} of container {name!r}"
            if (split_arn(arn) or [""] * 3)[2] == "secretsmanager":
                needs.append(Need(SECRETS_MANAGER_READ, (arn,), (arn, arn + ANY), reason, source))
            else:
                reads_parameters = True
                needs.append(Need(SSM_READ, (arn,), (parameter_scope,), reason, source))
        if reads_parameters:
            key = variables["ParameterKeyArn"]
            needs.append(
                Need(
                    KMS_DECRYPT,
                    (key,),
                    (key,),
                    f"SecureString parameters of container {name!r}, encrypted with the parameter key",
                    f"{path}.secrets",
                )
            )
        credentials = container.get("repositoryCredentials")
        if isinstance(credentials, dict) and isinstance(
            credentials.get("credentialsParameter"), str
        ):
            arn = secret_arn(credentials["credentialsParameter"], context)
            needs.append(
                Need(
                    SECRETS_MANAGER_READ,
                    (arn,),
                    (arn, arn + ANY),
                    f"private registry credentials of container {name!r}",
                    f"{path}.repositoryCredentials.credentialsParameter",
                )
            )
        needs.extend(_log_needs(path, container, context))
        needs.extend(_image_needs(path, container, context))
    return tuple(needs)


def _log_needs(path: str, container: dict[str, Any], context: DeploymentContext) -> Iterable[Need]:
    config = container.get("logConfiguration")
    if not isinstance(config, dict) or config.get("logDriver") != "awslogs":
        return
    options = config.get("options") if isinstance(config.get("options"), dict) else {}
    group = options.get("awslogs-group")
    if not isinstance(group, str) or not group:
        return
    group_arn = context.arn("logs", f"log-group:{group}")
    streams = f"{group_arn}:log-stream:{ANY}"
    # The bare group ARN is narrower than the streams and harmless, so it is within scope too.
    scope = (group_arn, f"{group_arn}:{ANY}", streams)
    reason = f"awslogs driver of container {container.get('name')!r} writing to {group}"
    for action in LOGS_WRITE:
        yield Need(action, (streams,), scope, reason, f"{path}.logConfiguration")
    if str(options.get("awslogs-create-group", "")).lower() == "true":
        # IAM names the log group itself; grants written as group:* are accepted too.
        group_scope = (group_arn, f"{group_arn}:{ANY}")
        yield Need(
            LOGS_CREATE_GROUP,
            group_scope,
            group_scope,
            f"awslogs-create-group of container {container.get('name')!r}",
            f"{path}.logConfiguration.options.awslogs-create-group",
        )


def _image_needs(
    path: str, container: dict[str, Any], context: DeploymentContext
) -> Iterable[Need]:
    image = container.get("image")
    ecr = parse_ecr_image(image) if isinstance(image, str) else None
    if ecr is None:
        return
    reason = f"pulling image {image} of container {container.get('name')!r}"
    yield Need(ECR_TOKEN, (ANY,), (ANY,), reason, f"{path}.image")
    repository = (
        f"arn:{context.partition}:ecr:{ecr.region}:{ecr.account}:repository/{ecr.repository}"
    )
    for action in ECR_PULL:
        yield Need(action, (repository,), (repository,), reason, f"{path}.image")


def scope_resources(scope: str, context: DeploymentContext) -> tuple[str, ...] | None:
    """The ARNs a declared call scope stands for; None for a scope the checker does not know."""
    if scope == QUEUES:
        return tuple(context.queue_arn(name) for name in context.queue_names)
    if scope == ALWAYS_ALLOWED:
        return ()
    return None


def task_needs(calls: Iterable[AwsCall], context: DeploymentContext) -> tuple[Need, ...]:
    """What the service's declared calls need from the task role: each action on each resource."""
    needs = []
    for call in calls:
        resources = scope_resources(call.scope, context)
        for resource in resources or ():
            needs.append(
                Need(call.action, (resource,), (resource,), f"called by {call.caller}", call.caller)
            )
    return tuple(needs)
