"""Check the subnets and security groups the operator named exist, and agree on one VPC.

A typo in a subnet id otherwise surfaces only when ECS fails to place a task, minutes later. With
no security group named, the VPC's default group is looked up and named in the plan (ECS would use
it silently). ``--subnets default`` takes the default VPC's subnets.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from ecsdeploy.aws import Aws
from ecsdeploy.errors import DeployError, UsageError, error_code, is_access_denied
from ecsdeploy.options import DEFAULT_SUBNETS
from ecsdeploy.resources.ecs import Network


def _describe(aws: Aws, call: str, what: str, **kwargs: object) -> list[dict]:
    ec2 = aws.client("ec2")
    key = "Subnets" if call == "describe_subnets" else "SecurityGroups"
    try:
        return getattr(ec2, call)(**kwargs)[key]
    except ClientError as exc:
        if is_access_denied(exc):
            raise DeployError(aws.explain(exc, "*")) from None
        code = error_code(exc)
        if code.endswith((".NotFound", ".Malformed")):
            message = exc.response.get("Error", {}).get("Message", "")
            raise UsageError(f"bad {what} in region {aws.region}: {message}") from None
        raise DeployError(aws.explain(exc)) from None


def resolve_network(
    aws: Aws, subnets: list[str], security_groups: list[str], assign_public_ip: bool
) -> tuple[Network, list[str]]:
    """The service's network after checking it against EC2, and notes worth showing."""
    notes: list[str] = []
    if subnets == [DEFAULT_SUBNETS]:
        found = _describe(
            aws,
            "describe_subnets",
            "subnets",
            Filters=[{"Name": "default-for-az", "Values": ["true"]}],
        )
        if not found:
            raise UsageError(
                f"--subnets default: region {aws.region} has no default VPC; name subnets instead"
            )
        subnets = sorted(s["SubnetId"] for s in found)[:16]
        notes.append(
            f"--subnets default: the default VPC's subnets {', '.join(subnets)}"
            + (
                ""
                if assign_public_ip
                else " (public subnets without a NAT: tasks need --assign-public-ip, or VPC "
                "endpoints, to pull the image and reach AWS)"
            )
        )
    found = _describe(aws, "describe_subnets", "subnets", SubnetIds=subnets)
    missing = set(subnets) - {s["SubnetId"] for s in found}
    if missing:
        raise UsageError(
            f"bad subnets in region {aws.region}: {', '.join(sorted(missing))} not found"
        )
    vpcs = {s["VpcId"] for s in found}
    if len(vpcs) > 1:
        raise UsageError(f"subnets must all be in one VPC; these span {', '.join(sorted(vpcs))}")
    vpc = vpcs.pop()
    if security_groups:
        groups = _describe(
            aws, "describe_security_groups", "security groups", GroupIds=security_groups
        )
        elsewhere = sorted(g["GroupId"] for g in groups if g.get("VpcId") != vpc)
        if elsewhere:
            raise UsageError(
                f"security groups {', '.join(elsewhere)} are not in {vpc}, the subnets' VPC"
            )
    else:
        groups = _describe(
            aws,
            "describe_security_groups",
            "security groups",
            Filters=[
                {"Name": "vpc-id", "Values": [vpc]},
                {"Name": "group-name", "Values": ["default"]},
            ],
        )
        if not groups:
            raise UsageError(f"no --security-groups given and {vpc} has no default security group")
        security_groups = [groups[0]["GroupId"]]
        notes.append(
            f"no --security-groups given: using {security_groups[0]}, the default group of {vpc}"
        )
    if assign_public_ip:
        notes.append(
            "tasks get a public IP (--assign-public-ip): their security groups decide who reaches them"
        )
    return Network(tuple(subnets), tuple(security_groups), assign_public_ip), notes
