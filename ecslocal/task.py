"""The model of one running task: its ids, its containers, their states and health.

The agent, the launcher and the health monitor change it; the metadata endpoint reads it. It holds
no HTTP and no AWS client (moto's "models apart from responses").
"""

from __future__ import annotations

import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from artifacts.context import DeploymentContext
from ecslocal.credentials import utc_now

# Container health as ECS reports it.
HEALTHY = "HEALTHY"
UNHEALTHY = "UNHEALTHY"
UNKNOWN = "UNKNOWN"

_REVISION_RE = re.compile(r":task-definition/[^:]+:(\d+)$")


def new_task_id() -> str:
    """A task id in ECS's form: 32 lowercase hex digits."""
    return secrets.token_hex(16)


def revision_of(task_definition_arn: str) -> str:
    """The revision number in a task definition ARN, as a string (ECS reports it as one)."""
    match = _REVISION_RE.search(task_definition_arn)
    if not match:
        raise ValueError(f"{task_definition_arn!r} is not a task definition ARN with a revision")
    return match[1]


def awslogs_stream_name(prefix: str, container_name: str, task_id: str) -> str:
    """The awslogs driver's stream name for a task: ``prefix/container-name/task-id``."""
    return f"{prefix}/{container_name}/{task_id}" if prefix else task_id


@dataclass
class HealthState:
    """A container's health as its health check last reported it."""

    status: str = UNKNOWN
    since: datetime | None = None
    exit_code: int | None = None
    output: str = ""


@dataclass
class Container:
    """One container of the task: what the task definition asked for and what happened to it."""

    name: str
    docker_id: str
    definition: dict[str, Any]
    image_id: str = ""
    desired_status: str = "RUNNING"
    known_status: str = "NONE"
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    exit_code: int | None = None
    pid: int | None = None
    log_stream: str | None = None
    health: HealthState = field(default_factory=HealthState)

    @property
    def image(self) -> str:
        return str(self.definition.get("image", ""))

    @property
    def has_health_check(self) -> bool:
        return bool(self.definition.get("healthCheck"))


@dataclass
class LocalTask:
    """A task started from a registered task definition on the local runtime."""

    context: DeploymentContext
    task_definition: dict[str, Any]
    task_definition_arn: str
    task_id: str
    containers: list[Container]
    desired_status: str = "RUNNING"
    known_status: str = "PROVISIONING"
    created_at: datetime = field(default_factory=utc_now)
    pull_started_at: datetime | None = None
    pull_stopped_at: datetime | None = None
    started_at: datetime | None = None
    stopped_at: datetime | None = None
    stopped_reason: str = ""
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    @classmethod
    def start(
        cls,
        context: DeploymentContext,
        task_definition: dict[str, Any],
        task_definition_arn: str,
        task_id: str | None = None,
    ) -> LocalTask:
        """A new task in PROVISIONING with one container per container definition."""
        task_id = task_id or new_task_id()
        containers = [
            Container(
                name=definition["name"],
                # Fargate's form: the task id, a dash and ten digits.
                docker_id=f"{task_id}-{secrets.randbelow(9_000_000_000) + 1_000_000_000}",
                definition=definition,
            )
            for definition in task_definition.get("containerDefinitions", [])
        ]
        return cls(
            context=context,
            task_definition=task_definition,
            task_definition_arn=task_definition_arn,
            task_id=task_id,
            containers=containers,
        )

    # -- ids -----------------------------------------------------------------------------------
    @property
    def cluster_arn(self) -> str:
        return self.context.arn("ecs", f"cluster/{self.context.cluster_name}")

    @property
    def task_arn(self) -> str:
        return self.context.arn("ecs", f"task/{self.context.cluster_name}/{self.task_id}")

    @property
    def family(self) -> str:
        return str(self.task_definition.get("family", ""))

    @property
    def revision(self) -> str:
        return revision_of(self.task_definition_arn)

    @property
    def availability_zone(self) -> str:
        return f"{self.context.region}a"

    @property
    def execution_role_arn(self) -> str:
        return str(self.task_definition.get("executionRoleArn", ""))

    @property
    def task_role_arn(self) -> str:
        return str(self.task_definition.get("taskRoleArn", ""))

    def container(self, name: str) -> Container:
        """The container called ``name``; KeyError naming it when there is none."""
        for container in self.containers:
            if container.name == name:
                return container
        raise KeyError(f"task {self.task_id} has no container named {name!r}")

    def container_by_docker_id(self, docker_id: str) -> Container | None:
        return next((c for c in self.containers if c.docker_id == docker_id), None)

    def log_stream_for(self, container: Container) -> str | None:
        """The awslogs stream name of ``container``, or None when it does not log with awslogs."""
        log_config = container.definition.get("logConfiguration") or {}
        if log_config.get("logDriver") != "awslogs":
            return None
        prefix = (log_config.get("options") or {}).get("awslogs-stream-prefix", "")
        return awslogs_stream_name(prefix, container.name, self.task_id)

    # -- lifecycle (called by the agent, the launcher and the health monitor) -------------------
    def pull_started(self) -> None:
        with self.lock:
            self.known_status = "PENDING"
            self.pull_started_at = utc_now()

    def pulled(self, container: Container, image_id: str) -> None:
        with self.lock:
            container.image_id = image_id
            container.known_status = "PULLED"
            self.pull_stopped_at = utc_now()

    def container_created(self, container: Container) -> None:
        with self.lock:
            container.known_status = "CREATED"
            container.created_at = utc_now()

    def container_started(self, container: Container, pid: int | None) -> None:
        with self.lock:
            container.known_status = "RUNNING"
            container.pid = pid
            container.started_at = utc_now()
            self.known_status = "RUNNING"
            self.started_at = self.started_at or container.started_at

    def stopping(self, reason: str) -> None:
        with self.lock:
            self.desired_status = "STOPPED"
            for container in self.containers:
                container.desired_status = "STOPPED"
            if self.known_status != "STOPPED":
                self.known_status = "DEACTIVATING"
            self.stopped_reason = self.stopped_reason or reason

    def container_stopped(self, container: Container, exit_code: int | None) -> None:
        with self.lock:
            container.known_status = "STOPPED"
            container.exit_code = exit_code
            container.finished_at = utc_now()
            container.pid = None

    def stopped(self, reason: str = "") -> None:
        with self.lock:
            self.desired_status = "STOPPED"
            self.known_status = "STOPPED"
            self.stopped_at = utc_now()
            self.stopped_reason = self.stopped_reason or reason

    def set_health(
        self, container: Container, status: str, exit_code: int | None, output: str
    ) -> bool:
        """Record a health check result; True when the status changed."""
        with self.lock:
            changed = container.health.status != status
            if changed or container.health.since is None:
                container.health.since = utc_now()
            container.health.status = status
            container.health.exit_code = exit_code
            container.health.output = output
            return changed
