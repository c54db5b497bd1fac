"""The one source of truth for every name the service's AWS resources carry.

A :class:`DeploymentContext` holds the inputs (account, region, service, environment, image, the
parameter key) and derives every other name from them. The artifact files refer to these names as
``${Placeholder}``; :meth:`DeploymentContext.variables` is the whole vocabulary they may use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from service.config import REGION_RE, partition_for

DEFAULT_SERVICE = "courier"
DEFAULT_ENV = "dev"
# moto's default account: the local runtime and the tests use it, real deployments read theirs from STS.
LOCAL_ACCOUNT_ID = "123456789012"
LOCAL_REGION = "us-east-1"
# A fixed, obviously local key id so the shipped artifacts render without a real account.
PLACEHOLDER_KEY_ID = "00000000-0000-0000-0000-000000000000"

ACCOUNT_ID_RE = re.compile(r"^\d{12}\Z", re.ASCII)
_REGION_RE = REGION_RE
NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]\Z")
# The API key's name below the parameter path (no '/': the execution role may read the path only).
API_KEY_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}\Z", re.ASCII)
_KEY_ID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")


class ContextError(ValueError):
    """An input to the deployment context is malformed; the message names which and why."""


@dataclass(frozen=True)
class DeploymentContext:
    """Inputs of one deployment and every resource name derived from them."""

    account_id: str = LOCAL_ACCOUNT_ID
    region: str = LOCAL_REGION
    service: str = DEFAULT_SERVICE
    env: str = DEFAULT_ENV
    # Full image reference; empty means "the service's ECR repository, tag latest".
    image: str = ""
    # Id of the customer-managed KMS key that encrypts the service's SecureString parameters.
    parameter_key_id: str = PLACEHOLDER_KEY_ID
    # Base URL queue URLs are built on; empty means the regional SQS endpoint.
    sqs_endpoint: str = ""
    # The API key's name under ``parameter_path``.
    api_key_name: str = "api-key"

    def __post_init__(self) -> None:
        problems = []
        if not ACCOUNT_ID_RE.match(self.account_id):
            problems.append(f"account id {self.account_id!r} is not 12 digits")
        if not _REGION_RE.match(self.region):
            problems.append(f"region {self.region!r} is not an AWS region name like eu-west-1")
        for label, value in (("service", self.service), ("env", self.env)):
            if not NAME_RE.match(value):
                problems.append(
                    f"{label} name {value!r} must be 2-32 lowercase letters, digits or '-'"
                )
        if not _KEY_ID_RE.match(self.parameter_key_id):
            problems.append(f"KMS key id {self.parameter_key_id!r} is not a key id (a UUID)")
        if not API_KEY_NAME_RE.match(self.api_key_name):
            problems.append(
                f"API key parameter name {self.api_key_name!r} must be 1-64 letters, digits, '.', '_' or '-'"
            )
        if problems:
            raise ContextError("; ".join(problems))

    # -- derived names -------------------------------------------------------------------------
    @property
    def partition(self) -> str:
        return partition_for(self.region)

    @property
    def prefix(self) -> str:
        """``<service>-<env>``: the stem of every per-environment resource name."""
        return f"{self.service}-{self.env}"

    @property
    def task_family(self) -> str:
        return self.prefix

    @property
    def container_name(self) -> str:
        return self.service

    @property
    def cluster_name(self) -> str:
        return self.prefix

    @property
    def execution_role_name(self) -> str:
        return f"{self.prefix}-execution"

    @property
    def task_role_name(self) -> str:
        return f"{self.prefix}-task"

    @property
    def pending_queue_name(self) -> str:
        return f"{self.prefix}-pending"

    @property
    def confirmed_queue_name(self) -> str:
        return f"{self.prefix}-confirmed"

    @property
    def dead_letter_queue_name(self) -> str:
        return f"{self.prefix}-pending-dlq"

    @property
    def log_group(self) -> str:
        return f"/ecs/{self.prefix}"

    @property
    def log_stream_prefix(self) -> str:
        return self.service

    @property
    def parameter_path(self) -> str:
        """The SSM path under which the service's secrets live, with the trailing slash."""
        return f"/{self.service}/{self.env}/"

    @property
    def api_key_parameter(self) -> str:
        return f"{self.parameter_path}{self.api_key_name}"

    @property
    def parameter_key_alias(self) -> str:
        return f"alias/{self.prefix}-parameters"

    @property
    def parameter_key_arn(self) -> str:
        """The ARN of the KMS key that encrypts the service's parameters (and its queues)."""
        return self.arn("kms", f"key/{self.parameter_key_id}")

    @property
    def ecr_repository(self) -> str:
        return self.service

    @property
    def image_uri(self) -> str:
        """The image the task runs: ``image`` if given, else the service's ECR repository."""
        if self.image:
            return self.image
        return f"{self.ecr_registry}/{self.ecr_repository}:latest"

    @property
    def dns_suffix(self) -> str:
        """The domain of the partition's regional endpoints (the China regions have their own)."""
        return "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"

    @property
    def ecr_registry(self) -> str:
        return f"{self.account_id}.dkr.ecr.{self.region}.{self.dns_suffix}"

    # -- ARNs and URLs -------------------------------------------------------------------------
    def arn(self, service: str, resource: str, *, region: bool = True) -> str:
        """An ARN in this account (and region, unless the service is global)."""
        where = self.region if region else ""
        return f"arn:{self.partition}:{service}:{where}:{self.account_id}:{resource}"

    def role_arn(self, name: str) -> str:
        """The ARN of the IAM role ``name`` in this account."""
        return self.arn("iam", f"role/{name}", region=False)

    def queue_arn(self, name: str) -> str:
        """The ARN of the queue ``name`` in this account and region."""
        return self.arn("sqs", name)

    def queue_url(self, name: str) -> str:
        """The URL of the queue ``name``: on ``sqs_endpoint`` if set, else the regional endpoint."""
        base = self.sqs_endpoint.rstrip("/") or f"https://sqs.{self.region}.{self.dns_suffix}"
        return f"{base}/{self.account_id}/{name}"

    @property
    def queue_names(self) -> tuple[str, str]:
        """The two queues the service uses: pending, then confirmed."""
        return (self.pending_queue_name, self.confirmed_queue_name)

    def variables(self) -> dict[str, str]:
        """Every ``${Placeholder}`` an artifact file may use, with its value."""
        return {
            "Partition": self.partition,
            "DnsSuffix": self.dns_suffix,
            "AccountId": self.account_id,
            "Region": self.region,
            "Service": self.service,
            "Env": self.env,
            "TaskFamily": self.task_family,
            "ContainerName": self.container_name,
            "Image": self.image_uri,
            "ExecutionRoleName": self.execution_role_name,
            "ExecutionRoleArn": self.role_arn(self.execution_role_name),
            "TaskRoleName": self.task_role_name,
            "TaskRoleArn": self.role_arn(self.task_role_name),
            "PendingQueueName": self.pending_queue_name,
            "PendingQueueArn": self.queue_arn(self.pending_queue_name),
            "PendingQueueUrl": self.queue_url(self.pending_queue_name),
            "ConfirmedQueueName": self.confirmed_queue_name,
            "ConfirmedQueueArn": self.queue_arn(self.confirmed_queue_name),
            "ConfirmedQueueUrl": self.queue_url(self.confirmed_queue_name),
            "LogGroup": self.log_group,
            "LogGroupArn": self.arn("logs", f"log-group:{self.log_group}"),
            "LogStreamPrefix": self.log_stream_prefix,
            "ParameterPath": self.parameter_path,
            "ParameterPathArn": self.arn("ssm", f"parameter{self.parameter_path}"),
            "ApiKeyParameterArn": self.arn("ssm", f"parameter{self.api_key_parameter}"),
            "ParameterKeyArn": self.parameter_key_arn,
            "EcrRepository": self.ecr_repository,
            "EcrRepositoryArn": self.arn("ecr", f"repository/{self.ecr_repository}"),
        }
