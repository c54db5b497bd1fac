"""Small helpers the resource kinds share."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from botocore.exceptions import ClientError

from ecsdeploy.errors import error_code
from ecsdeploy.model import Change, ResourcePlan
from ecsdeploy.tags import Ownership

T = TypeVar("T")


def unless_missing(call: Callable[[], T], *missing_codes: str) -> T | None:
    """The result of ``call``, or None when AWS answers with one of ``missing_codes``."""
    try:
        return call()
    except ClientError as exc:
        if error_code(exc) in missing_codes:
            return None
        raise


class Deletable(Protocol):
    """What :func:`delete_if_ours` needs of a resource."""

    kind: str
    name: str
    ownership: Ownership

    @property
    def arn(self) -> str: ...


def delete_if_ours(
    resource: Deletable,
    tags: Mapping[str, str] | None,
    run: Callable[[], Any],
    *,
    found: bool = True,
    detail: str = "",
    where: str = "",
) -> ResourcePlan:
    """The teardown of one resource: delete it when it carries our tags, else leave it and say so.

    ``found`` is False when the resource does not exist (nothing to do); ``where`` qualifies the
    name in the note (``in cluster X``).
    """
    result = ResourcePlan(resource.kind, resource.name)
    if not found:
        return result
    if not resource.ownership.owns(tags):
        place = f" {where}" if where else ""
        result.notes.append(
            f"left alone: {resource.kind} {resource.name}{place} (not tagged as ours)"
        )
        return result
    result.changes.append(
        Change("delete", resource.kind, resource.name, run, detail=detail, resource=resource.arn)
    )
    return result
