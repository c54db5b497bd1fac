"""Compute a plan (desired vs actual, resource by resource) and show it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from botocore.exceptions import ClientError

from ecsdeploy.aws import Aws
from ecsdeploy.errors import DeployError
from ecsdeploy.model import Change, Resolved, Resource, ResourcePlan


@dataclass
class Plan:
    """The resource plans of one run, in the order they apply."""

    resources: list[ResourcePlan] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def changes(self) -> list[Change]:
        return [change for plan in self.resources for change in plan.changes]

    @property
    def conflicts(self) -> list[ResourcePlan]:
        return [plan for plan in self.resources if plan.conflict]

    @property
    def all_notes(self) -> list[str]:
        return [note for plan in self.resources for note in plan.notes] + self.notes

    def __add__(self, other: Plan) -> Plan:
        return Plan(self.resources + other.resources, self.notes + other.notes)

    def counts(self) -> str:
        verbs = [change.verb for change in self.changes]
        created = sum(verb in ("create", "register") for verb in verbs)
        updated = sum(verb == "update" for verb in verbs)
        deleted = sum(verb == "delete" for verb in verbs)
        return f"{created} to create, {updated} to update, {deleted} to delete"


def _arn_of(resource: Resource) -> str:
    return str(getattr(resource, "arn", "") or resource.name)


def _collect(
    aws: Aws, resources: Iterable[Resource], step: Callable[[Resource], ResourcePlan]
) -> Plan:
    plan = Plan()
    for resource in resources:
        try:
            plan.resources.append(step(resource))
        except ClientError as exc:
            raise DeployError(
                f"reading {resource.kind} {resource.name}: {aws.explain(exc, _arn_of(resource))}"
            ) from None
    return plan


def plan_resources(aws: Aws, resources: Iterable[Resource], resolved: Resolved) -> Plan:
    """What each resource needs to reach its desired state (reads only, changes nothing)."""
    return _collect(aws, resources, lambda resource: resource.plan(aws, resolved))


def teardown_resources(aws: Aws, resources: Iterable[Resource]) -> Plan:
    """What deleting the deployment's resources takes (reads only, changes nothing)."""
    return _collect(aws, resources, lambda resource: resource.teardown(aws))


def show_plan(plan: Plan, emit: Callable[[str], None]) -> None:
    """Print every change, conflict and note of ``plan``."""
    for change in plan.changes:
        emit(f"  {change.line()}")
    for conflict in plan.conflicts:
        emit(f"  ! conflict  {conflict.kind} {conflict.name}: {conflict.conflict}")
    for note in plan.all_notes:
        emit(f"  note: {note}")
