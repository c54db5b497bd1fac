"""The plain values the credential checker works with: expectations, snapshot, findings, report."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from service.config import QueueUrl, Settings, parse_queue_url
from service.identity.credentials import CredentialFacts
from service.identity.ecs import EcsTask
from service.identity.environment import EnvironmentFacts
from service.identity.principal import Principal

ERROR = "error"
WARNING = "warning"
INFO = "info"
SEVERITIES = (ERROR, WARNING, INFO)

QUEUE_URL_VARS = ("PENDING_QUEUE_URL", "CONFIRMED_QUEUE_URL")


@dataclass(frozen=True)
class IdentityWarning:
    """One warning of the report: a stable code, a severity and a message that says how to fix it."""

    code: str
    severity: str
    message: str


@dataclass(frozen=True)
class Expectations:
    """What the process should be running as, from its configuration; anything may be unknown."""

    expected_task_role_name: str | None = None
    execution_role_name: str | None = None
    # (variable, region) for each queue URL whose host names a region.
    queue_regions: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> Expectations:
        """Expectations of a service process whose settings were validated at start-up."""
        return cls._build(
            settings.expected_task_role_name,
            settings.execution_role_name,
            zip(QUEUE_URL_VARS, (settings.pending_queue, settings.confirmed_queue), strict=True),
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Expectations:
        """Lenient reading for the CLI: a missing or malformed setting is simply unknown."""
        queues = []
        for var in QUEUE_URL_VARS:
            try:
                queues.append((var, parse_queue_url(env.get(var, ""))))
            except ValueError:
                continue
        return cls._build(
            env.get("EXPECTED_TASK_ROLE_NAME") or None,
            env.get("EXECUTION_ROLE_NAME") or None,
            queues,
        )

    @classmethod
    def _build(
        cls,
        expected_task_role_name: str | None,
        execution_role_name: str | None,
        queues: Iterable[tuple[str, QueueUrl]],
    ) -> Expectations:
        return cls(
            expected_task_role_name=expected_task_role_name,
            execution_role_name=execution_role_name,
            queue_regions=tuple((var, queue.region) for var, queue in queues if queue.region),
        )


@dataclass(frozen=True)
class CallerIdentity:
    """The answer of ``sts:GetCallerIdentity`` with the principal parsed from its ARN."""

    account: str
    arn: str
    user_id: str
    principal: Principal


@dataclass(frozen=True)
class Snapshot:
    """Everything a warning rule may look at, frozen at one moment.

    ``identity`` and ``credentials`` are None when they could not be determined (the rules still
    run, so that the errors for missing credentials carry the environment's warnings).
    """

    environment: EnvironmentFacts
    expectations: Expectations
    region: str | None
    identity: CallerIdentity | None = None
    credentials: CredentialFacts | None = None
    ecs: EcsTask | None = None
    ecs_error: str | None = None


@dataclass(frozen=True)
class IdentityReport:
    """What identity this process holds, where it came from, and what is wrong with it."""

    account: str
    arn: str
    user_id: str
    principal: Principal
    region: str | None
    credentials: CredentialFacts
    ecs: EcsTask | None
    warnings: tuple[IdentityWarning, ...]

    @property
    def principal_type(self) -> str:
        return self.principal.type

    @property
    def role_name(self) -> str | None:
        return self.principal.role_name

    @property
    def session_name(self) -> str | None:
        return self.principal.session_name

    @property
    def has_errors(self) -> bool:
        """True when any warning has severity ``error``."""
        return any(finding.severity == ERROR for finding in self.warnings)

    def describe_principal(self) -> str:
        """E.g. ``role courier-dev-task``: what to name when a permission is missing."""
        return self.principal.describe()
