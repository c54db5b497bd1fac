"""The immutable snapshot every rule reads: the rendered artifacts, parsed once, and the needs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from artifacts.context import DeploymentContext
from artifacts.render import ArtifactSet
from checker.grants import Gap, gaps
from checker.needs import Need, execution_needs, task_needs
from checker.policy import Policy, PolicyKind, parse_policy
from service.awscalls import AwsCall

TASK_DEFINITION = "task_definition"
TRUST_POLICY = "trust_policy"
EXECUTION_POLICY = "execution_policy"
TASK_POLICY = "task_policy"
DOCUMENTS = (TASK_DEFINITION, TRUST_POLICY, EXECUTION_POLICY, TASK_POLICY)


@dataclass(frozen=True)
class Container:
    """One container definition and its JSON path."""

    path: str
    definition: dict[str, Any]

    def get(self, key: str, default: Any = None) -> Any:
        return self.definition.get(key, default)

    def items(self, key: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """(path, entry) of every object in the list ``key`` (environment, secrets, ...)."""
        value = self.definition.get(key)
        for i, entry in enumerate(value if isinstance(value, list) else []):
            if isinstance(entry, dict):
                yield f"{self.path}.{key}[{i}]", entry


@dataclass(frozen=True)
class Subject:
    """What the rules check: one rendered artifact set and the service's declared AWS calls."""

    artifacts: ArtifactSet
    calls: tuple[AwsCall, ...]

    @property
    def context(self) -> DeploymentContext:
        return self.artifacts.context

    def document(self, name: str) -> Any:
        """The rendered document ``name`` (one of :data:`DOCUMENTS`), as parsed."""
        return getattr(self.artifacts, name)

    @property
    def task_definition(self) -> dict[str, Any]:
        document = self.artifacts.task_definition
        return document if isinstance(document, dict) else {}

    @cached_property
    def containers(self) -> tuple[Container, ...]:
        """Every container definition that is a JSON object, with its path."""
        value = self.task_definition.get("containerDefinitions")
        return tuple(
            Container(f"$.containerDefinitions[{i}]", c)
            for i, c in enumerate(value if isinstance(value, list) else [])
            if isinstance(c, dict)
        )

    @cached_property
    def service_container(self) -> Container | None:
        """The container named after the service: the one that runs the service's code."""
        return next(
            (c for c in self.containers if c.get("name") == self.context.container_name), None
        )

    @cached_property
    def trust(self) -> Policy:
        return parse_policy(self.artifacts.trust_policy, PolicyKind.TRUST)

    @cached_property
    def execution(self) -> Policy:
        return parse_policy(self.artifacts.execution_policy, PolicyKind.PERMISSION)

    @cached_property
    def task(self) -> Policy:
        return parse_policy(self.artifacts.task_policy, PolicyKind.PERMISSION)

    def policies(self) -> tuple[tuple[str, Policy], ...]:
        return (
            (TRUST_POLICY, self.trust),
            (EXECUTION_POLICY, self.execution),
            (TASK_POLICY, self.task),
        )

    def permission_policies(self) -> tuple[tuple[str, Policy], ...]:
        return ((EXECUTION_POLICY, self.execution), (TASK_POLICY, self.task))

    @cached_property
    def execution_needs(self) -> tuple[Need, ...]:
        return execution_needs(self.artifacts.task_definition, self.context)

    @cached_property
    def task_needs(self) -> tuple[Need, ...]:
        return task_needs(self.calls, self.context)

    @cached_property
    def execution_gaps(self) -> tuple[Gap, ...]:
        """Execution-role needs the execution policy does not allow."""
        return tuple(gaps(self.execution, self.execution_needs))

    @cached_property
    def task_gaps(self) -> tuple[Gap, ...]:
        """Task-role needs (the service's declared calls) the task policy does not allow."""
        return tuple(gaps(self.task, self.task_needs))
