"""What one deployment is: the operator's choices, checked, and the stack parameters they become.

Arguments are checked before any AWS call (:func:`StackInputs.validate`); what can only be checked
against the account (the default VPC, the subnets, the image in ECR) is checked by :func:`resolve`
before anything is created.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from artifacts.context import ContextError, DeploymentContext
from ecsdeploy.aws import Aws
from ecsdeploy.errors import DeployError, UsageError

DEFAULT_SUBNETS = "default"
_SUBNET_RE = re.compile(r"^subnet-[0-9a-f]{8,17}\Z")
_TAG_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\Z")
_CERTIFICATE_RE = re.compile(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[A-Za-z0-9-]+\Z")


@dataclass(frozen=True)
class StackInputs:
    """The operator's choices for one stack (names, network, image, scaling, load balancer)."""

    service: str
    env: str
    region: str
    subnets: str = DEFAULT_SUBNETS
    image_tag: str = "latest"
    image: str = ""
    min_tasks: int = 1
    max_tasks: int = 4
    load_balancer: bool = True
    certificate_arn: str = ""
    public_ip: bool = False
    api_key_name: str = "api-key"

    @property
    def context(self) -> DeploymentContext:
        """The names of this deployment (account and key are resolved later)."""
        try:
            return DeploymentContext(
                region=self.region,
                service=self.service,
                env=self.env,
                api_key_name=self.api_key_name,
            )
        except ContextError as exc:
            raise UsageError(str(exc)) from None

    @property
    def stack_name(self) -> str:
        return self.context.prefix

    def subnet_ids(self) -> list[str]:
        """The subnets named, or an empty list for ``default``."""
        if self.subnets == DEFAULT_SUBNETS:
            return []
        return [s.strip() for s in self.subnets.split(",") if s.strip()]

    def validate(self) -> None:
        """Raise :class:`UsageError` naming each malformed input, before any AWS call."""
        self.context  # noqa: B018 - validates the names and the region
        problems = []
        for subnet in self.subnet_ids():
            if not _SUBNET_RE.match(subnet):
                problems.append(f"SUBNETS: {subnet!r} is not a subnet id like subnet-0123abcd")
        if self.subnets != DEFAULT_SUBNETS and not self.subnet_ids():
            problems.append("SUBNETS is empty: name subnets, or SUBNETS=default")
        if not self.image and not _TAG_RE.match(self.image_tag):
            problems.append(f"TAG {self.image_tag!r} is not an image tag")
        if not 1 <= self.min_tasks <= self.max_tasks <= 100:
            problems.append(
                f"MIN_TASKS={self.min_tasks} MAX_TASKS={self.max_tasks}: need 1 <= min <= max <= 100"
            )
        if self.certificate_arn and not _CERTIFICATE_RE.match(self.certificate_arn):
            problems.append(
                f"CERTIFICATE_ARN {self.certificate_arn!r} is not an ACM certificate ARN"
            )
        if self.certificate_arn and not self.load_balancer:
            problems.append("CERTIFICATE_ARN needs the load balancer (LOAD_BALANCER=1)")
        if problems:
            raise UsageError("; ".join(problems))


@dataclass(frozen=True)
class Network:
    vpc_id: str
    subnets: tuple[str, ...]


def resolve_network(aws: Aws, inputs: StackInputs) -> Network:
    """The VPC and subnets: the default VPC's for ``default``, else the named subnets' VPC."""
    ec2 = aws.client("ec2")
    try:
        if not inputs.subnet_ids():
            vpcs = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"]
            if not vpcs:
                raise DeployError(
                    f"region {inputs.region} has no default VPC: name subnets with SUBNETS=subnet-a,subnet-b"
                )
            vpc_id = vpcs[0]["VpcId"]
            subnets = ec2.describe_subnets(
                Filters=[
                    {"Name": "vpc-id", "Values": [vpc_id]},
                    {"Name": "default-for-az", "Values": ["true"]},
                ]
            )["Subnets"]
        else:
            subnets = ec2.describe_subnets(SubnetIds=inputs.subnet_ids())["Subnets"]
    except ClientError as exc:
        raise DeployError(aws.explain(exc, f"subnets {inputs.subnets}")) from None
    vpcs = {s["VpcId"] for s in subnets}
    if len(vpcs) != 1:
        raise DeployError(f"SUBNETS must all be in one VPC; they are in {', '.join(sorted(vpcs))}")
    zones = {s["AvailabilityZone"] for s in subnets}
    if inputs.load_balancer and len(zones) < 2:
        raise DeployError(
            "the load balancer needs subnets in two availability zones or more "
            f"(got {len(zones)}); add subnets or LOAD_BALANCER=0"
        )
    return Network(vpcs.pop(), tuple(sorted(s["SubnetId"] for s in subnets)))


def repository_exists(aws: Aws, context: DeploymentContext) -> bool:
    """Whether the service's ECR repository exists."""
    try:
        aws.client("ecr").describe_repositories(repositoryNames=[context.ecr_repository])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "RepositoryNotFoundException":
            return False
        raise DeployError(aws.explain(exc, context.ecr_repository)) from None
    return True


def require_image(aws: Aws, inputs: StackInputs) -> None:
    """Raise :class:`DeployError` unless the tag to deploy is in the service's ECR repository."""
    if inputs.image:
        return  # an image elsewhere: the operator vouches for it
    context = inputs.context
    hint = f"build and push it first: make image push TAG={inputs.image_tag}"
    if not repository_exists(aws, context):
        raise DeployError(f"ECR repository {context.ecr_repository} does not exist: {hint}")
    try:
        found = aws.client("ecr").batch_get_image(
            repositoryName=context.ecr_repository, imageIds=[{"imageTag": inputs.image_tag}]
        )["images"]
    except ClientError as exc:
        raise DeployError(aws.explain(exc, context.ecr_repository)) from None
    if not found:
        raise DeployError(
            f"image {context.ecr_repository}:{inputs.image_tag} is not in ECR: {hint}"
        )


def stack_parameters(
    inputs: StackInputs, network: Network, create_repository: bool
) -> list[dict[str, Any]]:
    """The template's parameters for this deployment, as CloudFormation takes them."""
    values = {
        "ServiceName": inputs.service,
        "EnvName": inputs.env,
        "VpcId": network.vpc_id,
        "Subnets": ",".join(network.subnets),
        "AssignPublicIp": "ENABLED" if inputs.public_ip else "DISABLED",
        "ImageTag": inputs.image_tag,
        "ImageUri": inputs.image,
        "MinTasks": str(inputs.min_tasks),
        "MaxTasks": str(inputs.max_tasks),
        "CreateLoadBalancer": "true" if inputs.load_balancer else "false",
        "CertificateArn": inputs.certificate_arn,
        "ApiKeyParameterName": inputs.api_key_name,
        "CreateRepository": "true" if create_repository else "false",
    }
    return [{"ParameterKey": key, "ParameterValue": value} for key, value in values.items()]
