"""The desired state of one deployment, derived from the rendered artifacts and the operator's choices.

Every name comes from :class:`artifacts.context.DeploymentContext` and every document from
:func:`artifacts.render.render_artifacts`; the few names the context does not define (the ECS
service, the inline policies, the scaling policy) are derived here, once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from artifacts.context import DeploymentContext
from artifacts.render import EXECUTION_POLICY, TASK_POLICY, ArtifactSet
from ecsdeploy.model import Resource
from ecsdeploy.resources.ecr import Repository
from ecsdeploy.resources.ecs import Cluster, Network, Service, TaskDefinition
from ecsdeploy.resources.iam import Role
from ecsdeploy.resources.kms import ParameterKey
from ecsdeploy.resources.logs import LogGroup
from ecsdeploy.resources.scaling import ServiceScaling, backlog_policy
from ecsdeploy.resources.sqs import Queue
from ecsdeploy.resources.ssm import ApiKeyParameter
from ecsdeploy.tags import deployment_ownership, repository_ownership

# A message that fails this many receives moves to the dead-letter queue instead of looping.
MAX_RECEIVE_COUNT = 5
# Dead letters outlive the pending queue's default 4 days: the longest SQS allows.
DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600


@dataclass(frozen=True)
class Settings:
    """What the operator chose for this deployment, beyond the context's inputs."""

    cluster: str | None = None
    network: Network | None = None
    min_tasks: int = 1
    max_tasks: int = 4
    backlog_target: int = 100
    log_retention_days: int = 30
    wait: bool = True
    wait_timeout: float = 900.0


def ecs_service_name(context: DeploymentContext) -> str:
    """The ECS service's name: the deployment's prefix, like the cluster and the task family."""
    return context.prefix


def inline_policy_name(policy_file: str) -> str:
    """An inline policy is named after the file it is rendered from."""
    return Path(policy_file).stem


def scaling_policy_name(context: DeploymentContext) -> str:
    """The target tracking policy's name (Application Auto Scaling policies carry no tags)."""
    return f"{context.prefix}-pending-backlog"


def parameter_key(context: DeploymentContext) -> ParameterKey:
    """The KMS key behind ``context.parameter_key_alias`` (it must exist before rendering)."""
    return ParameterKey(
        alias=context.parameter_key_alias,
        description=f"Encrypts the SecureString parameters under {context.parameter_path}",
        ownership=deployment_ownership(context),
    )


def build_repository(context: DeploymentContext) -> Repository:
    """The service's ECR repository (``push`` creates it before the first deploy)."""
    return Repository(
        name=context.ecr_repository,
        arn=context.variables()["EcrRepositoryArn"],
        ownership=repository_ownership(context),
    )


@dataclass(frozen=True)
class Deployment:
    """Every resource of one deployment, each with its desired state."""

    key: ParameterKey
    log_group: LogGroup
    repository: Repository
    dead_letter_queue: Queue
    pending_queue: Queue
    confirmed_queue: Queue
    api_key: ApiKeyParameter
    execution_role: Role
    task_role: Role
    cluster: Cluster
    task_definition: TaskDefinition
    service: Service
    scaling: ServiceScaling

    def apply_order(self) -> list[Resource]:
        """Everything but the key, dependencies first: queues before the redrive that names the
        dead-letter queue, roles before the task definition that names them, the task definition
        before the service, the service before its scaling."""
        return [
            self.log_group,
            self.repository,
            self.dead_letter_queue,
            self.pending_queue,
            self.confirmed_queue,
            self.api_key,
            self.execution_role,
            self.task_role,
            self.cluster,
            self.task_definition,
            self.service,
            self.scaling,
        ]

    def teardown_order(self) -> list[Resource]:
        """Dependents first; the cluster last, so the service's tasks have time to stop."""
        return [
            self.scaling,
            self.service,
            self.task_definition,
            self.execution_role,
            self.task_role,
            self.api_key,
            self.pending_queue,
            self.confirmed_queue,
            self.dead_letter_queue,
            self.log_group,
            self.repository,
            self.key,
            self.cluster,
        ]


def desired_deployment(artifacts: ArtifactSet, settings: Settings) -> Deployment:
    """The desired state of the deployment ``artifacts`` were rendered for."""
    context = artifacts.context
    owned = deployment_ownership(context)
    variables = context.variables()
    cluster_name = settings.cluster or context.cluster_name
    dlq_arn = context.queue_arn(context.dead_letter_queue_name)
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVE_COUNT}
    encrypted = {"SqsManagedSseEnabled": "true"}
    service = Service(
        name=ecs_service_name(context),
        cluster=cluster_name,
        ownership=owned,
        network=settings.network,
        initial_count=settings.min_tasks,
        wait_on_delete=settings.wait,
        wait_timeout=settings.wait_timeout,
        arn=context.arn("ecs", f"service/{cluster_name}/{ecs_service_name(context)}"),
    )
    family = artifacts.task_definition.get("family", context.task_family)
    sources = {name: str(path) for name, path in artifacts.sources.items()}
    return Deployment(
        key=parameter_key(context),
        log_group=LogGroup(
            name=context.log_group,
            arn=variables["LogGroupArn"],
            retention_days=settings.log_retention_days,
            ownership=owned,
        ),
        repository=build_repository(context),
        dead_letter_queue=Queue(
            name=context.dead_letter_queue_name,
            arn=dlq_arn,
            ownership=owned,
            attributes={"MessageRetentionPeriod": str(DEAD_LETTER_RETENTION_SECONDS), **encrypted},
        ),
        pending_queue=Queue(
            name=context.pending_queue_name,
            arn=variables["PendingQueueArn"],
            ownership=owned,
            attributes={"RedrivePolicy": json.dumps(redrive), **encrypted},
        ),
        confirmed_queue=Queue(
            name=context.confirmed_queue_name,
            arn=variables["ConfirmedQueueArn"],
            ownership=owned,
            attributes=dict(encrypted),
        ),
        api_key=ApiKeyParameter(
            name=context.api_key_parameter,
            arn=variables["ApiKeyParameterArn"],
            key_alias=context.parameter_key_alias,
            key_arn_prefix=context.arn("kms", "key/"),
            description=f"API key of {context.prefix} (reaches the container as a secret)",
            ownership=owned,
        ),
        execution_role=Role(
            name=context.execution_role_name,
            arn=variables["ExecutionRoleArn"],
            description=f"ECS agent for {context.prefix}: pull the image, read secrets, write logs",
            trust=artifacts.trust_policy,
            policy_name=inline_policy_name(EXECUTION_POLICY),
            policy=artifacts.execution_policy,
            ownership=owned,
            trust_source=sources["trust_policy"],
            policy_source=sources["execution_policy"],
        ),
        task_role=Role(
            name=context.task_role_name,
            arn=variables["TaskRoleArn"],
            description=f"Application of {context.prefix}: its two SQS queues",
            trust=artifacts.trust_policy,
            policy_name=inline_policy_name(TASK_POLICY),
            policy=artifacts.task_policy,
            ownership=owned,
            trust_source=sources["trust_policy"],
            policy_source=sources["task_policy"],
        ),
        cluster=Cluster(
            name=cluster_name,
            ownership=owned,
            arn=context.arn("ecs", f"cluster/{cluster_name}"),
        ),
        task_definition=TaskDefinition(
            family=family,
            document=artifacts.task_definition,
            ownership=owned,
            source=sources["task_definition"],
            arn=context.arn("ecs", f"task-definition/{family}:*"),
        ),
        service=service,
        scaling=ServiceScaling(
            service=service,
            policy_name=scaling_policy_name(context),
            min_tasks=settings.min_tasks,
            max_tasks=settings.max_tasks,
            policy=backlog_policy(context.pending_queue_name, settings.backlog_target),
        ),
    )
