"""Validation of the operator's arguments, before any AWS call.

Each check raises :class:`~ecsdeploy.errors.UsageError` with a message naming the argument and what
is wrong with it; the CLI turns that into exit status 2.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

import botocore.session

from artifacts.context import ACCOUNT_ID_RE
from ecsdeploy.errors import UsageError
from service.config import REGION_RE

_SUBNET_RE = re.compile(r"^subnet-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
_SECURITY_GROUP_RE = re.compile(r"^sg-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
_CLUSTER_RE = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
# ECR repository names (with optional namespaces), then a tag or a digest.
_IMAGE_TAG_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_IMAGE_RE = re.compile(
    r"^[a-z0-9.-]+(?::\d+)?/[a-z0-9._/-]+(?::[A-Za-z0-9_.-]{1,128}|@sha256:[0-9a-f]{64})$"
)
# CloudWatch Logs accepts only these retention periods.
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
)  # fmt: skip
MAX_TASKS_LIMIT = 1000
# ``--subnets default``: the default VPC's default subnets, looked up in the account.
DEFAULT_SUBNETS = "default"


@functools.cache
def known_regions() -> frozenset[str]:
    """Every region botocore knows an ECS endpoint for, in any partition."""
    session = botocore.session.get_session()
    regions: set[str] = set()
    for partition in session.get_available_partitions():
        regions.update(session.get_available_regions("ecs", partition_name=partition))
    return frozenset(regions)


def check_region(region: str | None) -> str:
    """The region, or a UsageError when it is missing or not one AWS has."""
    if not region:
        raise UsageError(
            "no region: pass --region (make REGION=...), or set AWS_REGION or a profile region"
        )
    if not REGION_RE.match(region) or region not in known_regions():
        raise UsageError(
            f"unknown region {region!r}: not an AWS region with ECS (for example eu-west-1, us-east-1)"
        )
    return region


def check_account_id(account_id: str | None) -> str | None:
    """The expected account id, if given, or a UsageError when it is not 12 digits."""
    if account_id is not None and not ACCOUNT_ID_RE.match(account_id):
        raise UsageError(f"malformed account id {account_id!r}: an AWS account id is 12 digits")
    return account_id


def split_ids(values: Iterable[str] | None) -> list[str]:
    """Ids given as repeated options and/or comma- or space-separated lists, in order, deduplicated."""
    ids: list[str] = []
    for value in values or ():
        for item in re.split(r"[,\s]+", value.strip()):
            if item and item not in ids:
                ids.append(item)
    return ids


def check_subnets(subnets: list[str], *, required: bool) -> list[str]:
    """Subnet ids, each well formed, or ``default`` alone (the default VPC's subnets); a UsageError
    names the first bad one or says none were given."""
    if DEFAULT_SUBNETS in subnets:
        if subnets != [DEFAULT_SUBNETS]:
            raise UsageError(f"--subnets {DEFAULT_SUBNETS} stands alone, not beside subnet ids")
        return subnets
    if not subnets:
        if required:
            raise UsageError(
                "missing subnets: deploy needs --subnets (make SUBNETS=subnet-...,subnet-...), the "
                "private subnets the service's tasks run in"
            )
        return []
    for subnet in subnets:
        if not _SUBNET_RE.match(subnet):
            raise UsageError(
                f"bad subnet id {subnet!r}: expected subnet- followed by 8 or 17 hex digits"
            )
    if len(subnets) > 16:
        raise UsageError(f"too many subnets ({len(subnets)}): ECS accepts at most 16")
    return subnets


def check_security_groups(groups: list[str]) -> list[str]:
    """Security group ids, each well formed."""
    for group in groups:
        if not _SECURITY_GROUP_RE.match(group):
            raise UsageError(
                f"bad security group id {group!r}: expected sg- followed by 8 or 17 hex digits"
            )
    if len(groups) > 5:
        raise UsageError(f"too many security groups ({len(groups)}): ECS accepts at most 5")
    return groups


def parse_task_count(value: str | int | None, label: str, default: int) -> int:
    """A task count from an option or the environment (``MIN_TASKS``/``MAX_TASKS``)."""
    if value is None or value == "":
        return default
    text = str(value).strip()
    if not text.isdigit():
        raise UsageError(f"{label} {value!r} is not a whole number of tasks")
    return int(text)


def check_task_bounds(min_tasks: int, max_tasks: int) -> tuple[int, int]:
    """Scaling bounds: at least one task (target tracking cannot scale out from zero)."""
    if min_tasks < 1:
        raise UsageError(
            f"min tasks {min_tasks} must be at least 1: scaling on the queue backlog cannot start "
            "a first task from zero"
        )
    if max_tasks < min_tasks:
        raise UsageError(f"max tasks {max_tasks} is below min tasks {min_tasks}")
    if max_tasks > MAX_TASKS_LIMIT:
        raise UsageError(f"max tasks {max_tasks} is above {MAX_TASKS_LIMIT}")
    return min_tasks, max_tasks


def check_image(image: str | None, image_tag: str | None) -> tuple[str | None, str | None]:
    """A full image reference or a tag in the service's repository, not both."""
    if image and image_tag:
        raise UsageError("give --image (a full reference) or --image-tag (a tag), not both")
    if image is not None and not _IMAGE_RE.match(image):
        raise UsageError(
            f"bad image reference {image!r}: expected registry/repository:tag or "
            "registry/repository@sha256:digest"
        )
    if image_tag is not None and not _IMAGE_TAG_RE.match(image_tag):
        raise UsageError(f"bad image tag {image_tag!r}: letters, digits, '_', '.', '-' (max 128)")
    return image, image_tag


def check_cluster(cluster: str | None) -> str | None:
    """An ECS cluster name, if given."""
    if cluster is not None and not _CLUSTER_RE.match(cluster):
        raise UsageError(f"bad cluster name {cluster!r}: letters, digits, '-' and '_' (max 255)")
    return cluster


def check_log_retention(days: int) -> int:
    """A retention period CloudWatch Logs accepts."""
    if days not in LOG_RETENTION_DAYS:
        allowed = ", ".join(str(d) for d in LOG_RETENTION_DAYS)
        raise UsageError(
            f"log retention {days} days is not one CloudWatch Logs accepts ({allowed})"
        )
    return days


def check_positive(value: float, label: str) -> float:
    """A strictly positive number (``nan`` is not one)."""
    if not value > 0:
        raise UsageError(f"{label} must be above 0, not {value}")
    return value
