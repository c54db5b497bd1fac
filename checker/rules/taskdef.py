"""Task definition rules: botocore's input shape, then what botocore does not know (TD...)."""

from __future__ import annotations

import functools
import re
import shlex
from collections.abc import Iterable
from typing import Any

import botocore.session
from botocore.model import Shape
from botocore.validate import ParamValidator

from checker.findings import Severity
from checker.rules.base import Hit, rule
from checker.subject import TASK_DEFINITION, Container, Subject
from service.aws import LONG_POLL_MAX_SECONDS
from service.botocompat import validation_errors
from service.config import DEFAULT_PORT, parse_queue_url

TD = TASK_DEFINITION

# Fargate's valid task sizes: CPU units -> memory MiB (AWS docs, "Task CPU and memory").
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
    8192: tuple(range(16384, 61441, 4096)),
    16384: tuple(range(32768, 122881, 8192)),
}
# ECS waits this long between SIGTERM and SIGKILL when stopTimeout is unset; Fargate allows 120.
DEFAULT_STOP_TIMEOUT = 30
MAX_STOP_TIMEOUT = 120
# Time to finish the message in hand after the last long poll returns.
STOP_MARGIN_SECONDS = 5
# Tools the slim Python image does not ship.
TOOLS_NOT_IN_IMAGE = ("curl", "wget", "nc")
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(vcpu|gb)?\s*$", re.IGNORECASE)


@functools.cache
def _register_shape() -> Shape:
    model = botocore.session.get_session().get_service_model("ecs")
    return model.operation_model("RegisterTaskDefinition").input_shape


def shape_errors(document: Any) -> list[tuple[str, str]]:
    """(JSON path, message) of everything botocore's ParamValidator rejects."""
    report = ParamValidator().validate(document, _register_shape())
    if not report.has_errors():
        return []
    # The per-error list points at the exact parameter; without it, the public report's lines.
    errors = validation_errors(report)
    if errors is None:
        return [("$", line) for line in report.generate_report().splitlines()]
    located = []
    for name, details, message in errors:
        # botocore names nested parameters ".a[0].b"; missing and unknown parameters are reported
        # on their parent, so point at the key itself.
        name = name.lstrip(".")
        key = details.get("required_name") or details.get("unknown_param")
        name = f"{name}.{key}" if name and key else (key or name)
        located.append((f"$.{name}" if name else "$", message))
    return located


@rule(
    "TD001",
    Severity.ERROR,
    "task definition does not match ECS RegisterTaskDefinition's input shape",
    "Fix the parameter as botocore's message says: ECS rejects the whole registration.",
)
def register_shape(subject: Subject) -> Iterable[Hit]:
    for path, message in shape_errors(subject.artifacts.task_definition):
        yield Hit(TD, path, message)


@rule(
    "TD002",
    Severity.ERROR,
    "task definition is not a Fargate task definition with awsvpc networking",
    'Set "requiresCompatibilities": ["FARGATE"] and "networkMode": "awsvpc".',
)
def fargate_awsvpc(subject: Subject) -> Iterable[Hit]:
    td = subject.task_definition
    compat = td.get("requiresCompatibilities")
    if not isinstance(compat, list) or "FARGATE" not in compat:
        yield Hit(
            TD, "$.requiresCompatibilities", f"requiresCompatibilities is {compat!r}, not FARGATE"
        )
    if td.get("networkMode") != "awsvpc":
        yield Hit(
            TD, "$.networkMode", f"networkMode is {td.get('networkMode')!r}; Fargate needs awsvpc"
        )


def _size(value: Any, unit: str, per_unit: int) -> int | None:
    if not isinstance(value, str):
        return None
    match = _SIZE_RE.match(value)
    if not match or (match[2] and match[2].lower() != unit):
        return None
    amount = float(match[1]) * (per_unit if match[2] else 1)
    return int(amount) if amount == int(amount) else None


@rule(
    "TD003",
    Severity.ERROR,
    "task cpu/memory is not a valid Fargate size",
    'Pick a pair from the Fargate table, e.g. cpu "256" with memory "512", "1024" or "2048".',
)
def fargate_size(subject: Subject) -> Iterable[Hit]:
    td = subject.task_definition
    cpu = _size(td.get("cpu"), "vcpu", 1024)
    memory = _size(td.get("memory"), "gb", 1024)
    if cpu is None:
        yield Hit(
            TD, "$.cpu", f"task cpu {td.get('cpu')!r} is not CPU units or vCPU (Fargate needs it)"
        )
    elif cpu not in FARGATE_SIZES:
        yield Hit(
            TD, "$.cpu", f"Fargate has no {cpu} CPU unit size; valid: {sorted(FARGATE_SIZES)}"
        )
    if memory is None:
        yield Hit(
            TD, "$.memory", f"task memory {td.get('memory')!r} is not MiB or GB (Fargate needs it)"
        )
    elif cpu in FARGATE_SIZES and memory not in FARGATE_SIZES[cpu]:
        valid = FARGATE_SIZES[cpu]
        yield Hit(
            TD,
            "$.memory",
            f"memory {memory} MiB is not valid with cpu {cpu}: {valid[0]}-{valid[-1]} MiB "
            f"({', '.join(map(str, valid[:4]))}{', ...' if len(valid) > 4 else ''})",
        )


@rule(
    "TD004",
    Severity.ERROR,
    "hostPort differs from containerPort under awsvpc",
    "Under awsvpc leave hostPort out or set it equal to containerPort.",
)
def awsvpc_host_port(subject: Subject) -> Iterable[Hit]:
    for container in subject.containers:
        for path, mapping in container.items("portMappings"):
            host, port = mapping.get("hostPort"), mapping.get("containerPort")
            if host is not None and host != port:
                yield Hit(TD, f"{path}.hostPort", f"hostPort {host!r} != containerPort {port!r}")


# What the agent uses the execution role for, by the service of the action it needs.
_AGENT_DUTIES = {
    "ssm": "secrets",
    "secretsmanager": "secrets",
    "kms": "secrets",
    "logs": "awslogs",
    "ecr": "the ECR image",
}


def _execution_reasons(subject: Subject) -> list[str]:
    return sorted({_AGENT_DUTIES[need.service] for need in subject.execution_needs})


@rule(
    "TD005",
    Severity.ERROR,
    "task definition has no task role",
    'Set "taskRoleArn" to the task role (${TaskRoleArn}): the service calls AWS with it.',
)
def task_role_present(subject: Subject) -> Iterable[Hit]:
    if not subject.task_definition.get("taskRoleArn"):
        yield Hit(
            TD, "$.taskRoleArn", "taskRoleArn is missing: the service would have no AWS identity"
        )


@rule(
    "TD006",
    Severity.ERROR,
    "task definition has no execution role",
    'Set "executionRoleArn" to the execution role (${ExecutionRoleArn}).',
)
def execution_role_present(subject: Subject) -> Iterable[Hit]:
    if subject.task_definition.get("executionRoleArn"):
        return
    reasons = _execution_reasons(subject)
    why = (
        f"the ECS agent needs it for: {'; '.join(reasons)}"
        if reasons
        else "both roles are required"
    )
    yield Hit(TD, "$.executionRoleArn", f"executionRoleArn is missing; {why}")


@rule(
    "TD007",
    Severity.ERROR,
    "the same role is used as execution role and task role",
    "Use two roles: the execution role for the ECS agent, the task role for the application.",
)
def roles_distinct(subject: Subject) -> Iterable[Hit]:
    td = subject.task_definition
    if td.get("taskRoleArn") and td.get("taskRoleArn") == td.get("executionRoleArn"):
        yield Hit(
            TD,
            "$.taskRoleArn",
            "taskRoleArn equals executionRoleArn: the application could pull images, read every "
            "secret and write logs, and the agent could use the queues",
        )


@rule(
    "TD008",
    Severity.ERROR,
    "a role ARN is not the role whose policy is checked",
    "Point the role ARNs at ${ExecutionRoleArn} and ${TaskRoleArn}.",
)
def roles_are_the_checked_ones(subject: Subject) -> Iterable[Hit]:
    context, td = subject.context, subject.task_definition
    expected = {
        "executionRoleArn": context.role_arn(context.execution_role_name),
        "taskRoleArn": context.role_arn(context.task_role_name),
    }
    for key, arn in expected.items():
        value = td.get(key)
        if value and value != arn:
            yield Hit(TD, f"$.{key}", f"{key} is {value!r}, not {arn!r} (whose policy is checked)")


@rule(
    "TD009",
    Severity.ERROR,
    "a container is privileged",
    'Remove "privileged" or set it to false (Fargate rejects it anyway).',
)
def not_privileged(subject: Subject) -> Iterable[Hit]:
    for container in subject.containers:
        if container.get("privileged") is True:
            yield Hit(
                TD,
                f"{container.path}.privileged",
                f"container {container.get('name')!r} is privileged",
            )


_USER_RE = re.compile(r"^(?P<uid>\d+)(?::(?P<gid>\d+))?\Z", re.ASCII)


@rule(
    "TD010",
    Severity.ERROR,
    "a container does not run as a numeric non-root user",
    'Set "user" to the image\'s numeric non-root uid:gid, e.g. "10001:10001".',
)
def non_root_user(subject: Subject) -> Iterable[Hit]:
    for container in subject.containers:
        user = container.get("user")
        match = _USER_RE.match(user) if isinstance(user, str) else None
        name = container.get("name")
        if user is None:
            yield Hit(
                TD,
                f"{container.path}",
                f"container {name!r} has no user: it runs as the image's user (often root)",
            )
        elif not match:
            yield Hit(
                TD,
                f"{container.path}.user",
                f"user {user!r} is not numeric: ECS cannot prove it is not root",
            )
        elif int(match["uid"]) == 0 or (match["gid"] is not None and int(match["gid"]) == 0):
            yield Hit(TD, f"{container.path}.user", f"container {name!r} runs as root ({user!r})")


@rule(
    "TD011",
    Severity.ERROR,
    "a container's root filesystem is writable",
    'Set "readonlyRootFilesystem": true and mount a volume where the process writes.',
)
def read_only_root(subject: Subject) -> Iterable[Hit]:
    for container in subject.containers:
        if container.get("readonlyRootFilesystem") is not True:
            yield Hit(
                TD,
                f"{container.path}.readonlyRootFilesystem",
                f"container {container.get('name')!r} has a writable root filesystem",
            )


def _environment(container: Container) -> dict[str, tuple[str, Any]]:
    return {
        entry["name"]: (path, entry.get("value"))
        for path, entry in container.items("environment")
        if isinstance(entry.get("name"), str)
    }


@rule(
    "TD012",
    Severity.ERROR,
    "the service does not listen on the mapped container port",
    "Set the PORT environment variable to the containerPort of the service's port mapping.",
)
def port_matches_mapping(subject: Subject) -> Iterable[Hit]:
    container = subject.service_container
    if container is None:
        return
    ports = [m.get("containerPort") for _, m in container.items("portMappings")]
    if not ports:
        yield Hit(TD, container.path, "the service's container has no port mapping")
        return
    env = _environment(container)
    path, value = env.get("PORT", (container.path, str(DEFAULT_PORT)))
    listening = int(value) if isinstance(value, str) and value.isdigit() else value
    if listening not in ports:
        origin = "PORT" if "PORT" in env else f"the default port {DEFAULT_PORT} (PORT unset)"
        yield Hit(
            TD, path, f"the service listens on {origin}={value!r}, but containerPort is {ports}"
        )


@rule(
    "TD013",
    Severity.ERROR,
    "the service's container has no health check",
    'Add a "healthCheck" that runs ["CMD", "python", "-m", "service", "healthcheck"].',
)
def health_check_present(subject: Subject) -> Iterable[Hit]:
    container = subject.service_container
    if container is not None and not isinstance(container.get("healthCheck"), dict):
        yield Hit(
            TD, container.path, "no healthCheck: ECS cannot tell a hung service from a healthy one"
        )


@rule(
    "TD014",
    Severity.ERROR,
    "the health check runs a tool the image does not have",
    'Use the image\'s own Python: ["CMD", "python", "-m", "service", "healthcheck"].',
)
def health_check_runs_in_image(subject: Subject) -> Iterable[Hit]:
    for container in subject.containers:
        check = container.get("healthCheck")
        command = check.get("command") if isinstance(check, dict) else None
        if (
            not isinstance(command, list)
            or not command
            or not all(isinstance(c, str) for c in command)
        ):
            continue
        if command[0] == "CMD-SHELL":
            try:
                words = shlex.split(" ".join(command[1:]))
            except ValueError:
                words = " ".join(command[1:]).split()
        else:
            words = command[1:] if command[0] == "CMD" else command
        used = sorted({w.rsplit("/", 1)[-1] for w in words} & set(TOOLS_NOT_IN_IMAGE))
        if used:
            yield Hit(
                TD,
                f"{container.path}.healthCheck.command",
                f"the health check calls {', '.join(used)}, which the slim Python image does not "
                "have: the check always fails and ECS replaces healthy tasks",
            )


@rule(
    "TD015",
    Severity.ERROR,
    "stopTimeout cannot let an in-flight long poll finish",
    f"Set stopTimeout between {LONG_POLL_MAX_SECONDS + STOP_MARGIN_SECONDS} and {MAX_STOP_TIMEOUT} seconds.",
)
def stop_timeout(subject: Subject) -> Iterable[Hit]:
    container = subject.service_container
    if container is None:
        return
    value = container.get("stopTimeout", DEFAULT_STOP_TIMEOUT)
    needed = LONG_POLL_MAX_SECONDS + STOP_MARGIN_SECONDS
    if not isinstance(value, int) or isinstance(value, bool):
        return  # TD001 reports the type
    if value < needed:
        yield Hit(
            TD,
            f"{container.path}.stopTimeout",
            f"stopTimeout {value} s is shorter than a {LONG_POLL_MAX_SECONDS} s long poll plus "
            f"{STOP_MARGIN_SECONDS} s to finish the message: SIGKILL lands mid-work",
        )
    elif value > MAX_STOP_TIMEOUT:
        yield Hit(
            TD,
            f"{container.path}.stopTimeout",
            f"stopTimeout {value} s exceeds Fargate's {MAX_STOP_TIMEOUT} s",
        )


def _volume_names(subject: Subject) -> set[str]:
    # Names of the wrong type are TD001's finding; here they name no volume.
    volumes = subject.task_definition.get("volumes")
    return {
        v["name"]
        for v in (volumes if isinstance(volumes, list) else [])
        if isinstance(v, dict) and isinstance(v.get("name"), str)
    }


def _source_volume(mount: dict[str, Any]) -> str | None:
    source = mount.get("sourceVolume")
    return source if isinstance(source, str) else None


@rule(
    "TD016",
    Severity.ERROR,
    "a mount point names a volume the task does not define",
    'Define the volume in "volumes" or fix "sourceVolume".',
)
def mount_points_defined(subject: Subject) -> Iterable[Hit]:
    names = _volume_names(subject)
    for container in subject.containers:
        for path, mount in container.items("mountPoints"):
            if _source_volume(mount) not in names:
                yield Hit(
                    TD, f"{path}.sourceVolume", f"no volume named {mount.get('sourceVolume')!r}"
                )


@rule(
    "TD017",
    Severity.ERROR,
    "read-only root filesystem without a writable /tmp",
    'Mount a task volume at /tmp with "readOnly": false (gunicorn and tempfile write there).',
)
def writable_tmp(subject: Subject) -> Iterable[Hit]:
    container = subject.service_container
    if container is None or container.get("readonlyRootFilesystem") is not True:
        return
    names = _volume_names(subject)
    for _, mount in container.items("mountPoints"):
        if (
            mount.get("containerPath") == "/tmp"  # noqa: S108 - the path the container writes to
            and mount.get("readOnly") is not True
            and _source_volume(mount) in names
        ):
            return
    yield Hit(TD, f"{container.path}.mountPoints", "nothing writable is mounted at /tmp")


@rule(
    "TD018",
    Severity.ERROR,
    "a container does not log to CloudWatch with complete awslogs options",
    'Use "logDriver": "awslogs" with awslogs-group ${LogGroup}, awslogs-region ${Region} and '
    "awslogs-stream-prefix.",
)
def awslogs_configured(subject: Subject) -> Iterable[Hit]:
    for container in subject.containers:
        config = container.get("logConfiguration")
        path = f"{container.path}.logConfiguration"
        if not isinstance(config, dict) or config.get("logDriver") != "awslogs":
            yield Hit(
                TD, path, f"container {container.get('name')!r} does not use the awslogs driver"
            )
            continue
        options = config.get("options") if isinstance(config.get("options"), dict) else {}
        for option in ("awslogs-group", "awslogs-region", "awslogs-stream-prefix"):
            if not options.get(option):
                yield Hit(TD, f"{path}.options", f"{option} is missing (Fargate requires it)")
        region = options.get("awslogs-region")
        if region and region != subject.context.region:
            yield Hit(
                TD,
                f"{path}.options.awslogs-region",
                f"awslogs-region {region!r} is not the deployment region {subject.context.region!r}",
            )


def _is_queue_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parse_queue_url(value)
    except ValueError:
        return False
    return True


@rule(
    "TD019",
    Severity.ERROR,
    "the environment does not name exactly the service's queues",
    "Set the queue URL variables to ${PendingQueueUrl} and ${ConfirmedQueueUrl}.",
)
def queue_urls(subject: Subject) -> Iterable[Hit]:
    container = subject.service_container
    if container is None:
        return
    expected = {subject.context.queue_url(name) for name in subject.context.queue_names}
    found = set()
    for path, entry in container.items("environment"):
        value = entry.get("value")
        if not _is_queue_url(value):
            continue
        if value in expected:
            found.add(value)
        else:
            yield Hit(
                TD,
                f"{path}.value",
                f"{entry.get('name')} names {value}, not one of the service's queues",
            )
    for url in sorted(expected - found):
        yield Hit(
            TD,
            f"{container.path}.environment",
            f"no environment variable holds the queue URL {url}",
        )


@rule(
    "TD020",
    Severity.ERROR,
    "no container is named after the service",
    'Name the service\'s container "${ContainerName}".',
)
def service_container_present(subject: Subject) -> Iterable[Hit]:
    if subject.service_container is None:
        yield Hit(
            TD, "$.containerDefinitions", f"no container named {subject.context.container_name!r}"
        )
