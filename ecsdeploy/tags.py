"""The tags that mark a resource as created by this tool for one deployment.

Per-environment resources carry both tags; the ECR repository, which every environment of a service
shares (its name is the service's), carries only the service tag. ``destroy`` deletes a resource only
when its tags say it is ours; ``deploy`` refuses to change a same-named resource that is not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from artifacts.context import DeploymentContext

SERVICE_TAG = "ecsdeploy:service"
ENV_TAG = "ecsdeploy:env"


@dataclass(frozen=True)
class Ownership:
    """The tags a resource must carry to count as ours, in each service's tag shape."""

    tags: tuple[tuple[str, str], ...]

    def owns(self, actual: Mapping[str, str] | None) -> bool:
        """Whether a resource with tags ``actual`` carries every ownership tag."""
        return actual is not None and all(actual.get(key) == value for key, value in self.tags)

    def as_dict(self) -> dict[str, str]:
        return dict(self.tags)

    def as_list(self, key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
        """Tags as a list of pairs: ``Key``/``Value`` (IAM, SSM, ECR), ``key``/``value`` (ECS),
        ``TagKey``/``TagValue`` (KMS)."""
        return [{key: k, value: v} for k, v in self.tags]

    def as_filters(self) -> list[dict[str, object]]:
        """Tag filters for the Resource Groups Tagging API."""
        return [{"Key": k, "Values": [v]} for k, v in self.tags]

    def describe(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.tags)


def deployment_ownership(context: DeploymentContext) -> Ownership:
    """The tags of every per-environment resource of ``context``'s deployment."""
    return Ownership(((SERVICE_TAG, context.service), (ENV_TAG, context.env)))


def repository_ownership(context: DeploymentContext) -> Ownership:
    """The tag of the service's ECR repository, shared by its environments."""
    return Ownership(((SERVICE_TAG, context.service),))


def tag_dict(
    pairs: list[dict[str, str]] | None, key: str = "Key", value: str = "Value"
) -> dict[str, str]:
    """A list of tag pairs as a dict."""
    return {pair[key]: pair[value] for pair in pairs or ()}
