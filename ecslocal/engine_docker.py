"""The docker engine: the task's container as a real container of the service's image.

What ECS gives a container is read from the task definition (never hard-coded) and turned into
``docker run`` options: ``user``, ``readonlyRootFilesystem``, ``cpu`` and ``memory`` (task or
container level), volumes and mount points (a task volume without a host path is a tmpfs, like
Fargate's ephemeral storage), ``stopTimeout``, the ``healthCheck`` (as Docker's health check), the
ECS labels, and host networking (the credentials and metadata endpoints listen on 127.0.0.1).

The environment goes through a 0600 ``--env-file``, never the command line, where ``ps`` shows it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import subprocess
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ecslocal.health import (
    DEFAULT_INTERVAL,
    DEFAULT_RETRIES,
    DEFAULT_START_PERIOD,
    DEFAULT_TIMEOUT,
    MAX_OUTPUT_CHARS,
    CheckResult,
    HealthCheckSpec,
    run_check,
)
from ecslocal.launcher import DEFAULT_STOP_TIMEOUT, LaunchError
from ecslocal.task import HEALTHY, UNHEALTHY

CPU_UNITS_PER_VCPU = 1024
KILLED_EXIT_CODE = 137  # 128 + SIGKILL, what docker reports for a killed container


@dataclass(frozen=True)
class TaskLabels:
    """The ECS labels the agent puts on a task's containers."""

    task_arn: str
    container_name: str
    cluster: str
    family: str
    revision: str

    def as_docker(self) -> dict[str, str]:
        return {
            "com.amazonaws.ecs.task-arn": self.task_arn,
            "com.amazonaws.ecs.container-name": self.container_name,
            "com.amazonaws.ecs.cluster": self.cluster,
            "com.amazonaws.ecs.task-definition-family": self.family,
            "com.amazonaws.ecs.task-definition-version": self.revision,
        }


def resource_options(
    task_definition: Mapping[str, Any], definition: Mapping[str, Any]
) -> list[str]:
    """``--cpus``/``--cpu-shares`` and ``--memory`` from the container's values, else the task's."""
    options: list[str] = []
    cpu = definition.get("cpu") or task_definition.get("cpu")
    if cpu:
        units = int(cpu)
        options += ["--cpu-shares", str(units), "--cpus", f"{units / CPU_UNITS_PER_VCPU:g}"]
    memory = definition.get("memory") or task_definition.get("memory")
    if memory:
        # Swap equal to memory: past the limit the container is killed, as on Fargate (no swap).
        options += ["--memory", f"{int(memory)}m", "--memory-swap", f"{int(memory)}m"]
    reservation = definition.get("memoryReservation")
    if reservation:
        options += ["--memory-reservation", f"{int(reservation)}m"]
    return options


def mount_options(task_definition: Mapping[str, Any], definition: Mapping[str, Any]) -> list[str]:
    """A ``--mount`` per mount point: a bind of the volume's host path, else a tmpfs."""
    volumes = {v["name"]: v for v in task_definition.get("volumes") or []}
    options: list[str] = []
    for point in definition.get("mountPoints") or []:
        name = point.get("sourceVolume")
        if name not in volumes:
            raise LaunchError(f"mount point {point!r} names no volume of the task definition")
        target = point["containerPath"]
        source = (volumes[name].get("host") or {}).get("sourcePath")
        if source:
            spec = f"type=bind,source={source},destination={target}"
        else:
            spec = f"type=tmpfs,destination={target},tmpfs-mode=1777"
        if point.get("readOnly"):
            spec += ",readonly"
        options += ["--mount", spec]
    return options


def health_options(definition: Mapping[str, Any]) -> list[str]:
    """Docker's health check from the task definition's ``healthCheck`` (none: the image's)."""
    check = definition.get("healthCheck")
    if not check:
        return []
    command = list(check.get("command") or [])
    if len(command) < 2 or command[0] not in ("CMD", "CMD-SHELL"):
        raise LaunchError(f"healthCheck.command {command!r} must start with CMD or CMD-SHELL")
    # docker run only takes the shell form; CMD's argv is quoted into one.
    shell = " ".join(command[1:]) if command[0] == "CMD-SHELL" else shlex.join(command[1:])
    return [
        "--health-cmd",
        shell,
        "--health-interval",
        f"{check.get('interval', DEFAULT_INTERVAL)}s",
        "--health-timeout",
        f"{check.get('timeout', DEFAULT_TIMEOUT)}s",
        "--health-retries",
        str(check.get("retries", DEFAULT_RETRIES)),
        "--health-start-period",
        f"{check.get('startPeriod', DEFAULT_START_PERIOD)}s",
    ]


def run_arguments(
    task_definition: Mapping[str, Any],
    definition: Mapping[str, Any],
    *,
    image: str,
    name: str,
    labels: TaskLabels,
    env_file: Path,
) -> list[str]:
    """The ``docker run`` arguments (after ``run``) for one container of the task definition."""
    args = ["--detach", "--name", name, "--network", "host", "--env-file", str(env_file)]
    if definition.get("user"):
        args += ["--user", str(definition["user"])]
    if definition.get("readonlyRootFilesystem"):
        args.append("--read-only")
    args += [
        "--stop-timeout",
        str(int(definition.get("stopTimeout", DEFAULT_STOP_TIMEOUT))),
    ]
    args += resource_options(task_definition, definition)
    args += mount_options(task_definition, definition)
    args += health_options(definition)
    for key, value in labels.as_docker().items():
        args += ["--label", f"{key}={value}"]
    entrypoint = definition.get("entryPoint")
    if entrypoint:
        args += ["--entrypoint", entrypoint[0]]
    args.append(image)
    if entrypoint:
        args += list(entrypoint[1:])
    args += list(definition.get("command") or [])
    return args


def write_env_file(path: Path, env: Mapping[str, str]) -> Path:
    """Write ``env`` as a Docker env-file readable by its owner only."""
    lines = []
    for key, value in env.items():
        if "\n" in value or "\r" in value:
            raise LaunchError(f"environment variable {key} holds a line break: an env-file cannot")
        lines.append(f"{key}={value}\n")
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text("".join(lines), encoding="utf-8")
    return path


def docker(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the docker CLI; its completed process (never raises on a non-zero exit)."""
    try:
        return subprocess.run(
            ["docker", *args], capture_output=True, text=True, check=False, timeout=timeout
        )
    except FileNotFoundError:
        raise LaunchError("the docker command is not installed") from None


def inspect(container: str, template: str) -> str | None:
    """``docker inspect --format template``; None when the container is gone."""
    result = docker("inspect", "--format", template, container)
    return result.stdout.strip() if result.returncode == 0 else None


class DockerContainer:
    """A running container: started detached, its output followed, stopped with ``docker stop``.

    The same interface as :class:`ecslocal.launcher.ContainerProcess` (start, poll, wait, stop,
    killed), so the runtime treats both engines alike.
    """

    def __init__(self, run_args: list[str], name: str, on_output: Callable[[str, str], None]):
        self.argv = ("docker", "run", *run_args)
        self.name = name
        self._on_output = on_output
        self._logs: subprocess.Popen[bytes] | None = None
        self._readers: list[threading.Thread] = []
        self._exit_code: int | None = None
        self._exited = threading.Event()
        self._killed = False
        self._started = False

    def start(self) -> int:
        """Create and start the container; the host pid of its main process."""
        result = docker(*self.argv[1:], timeout=120)
        if result.returncode != 0:
            raise LaunchError(f"docker run failed: {result.stderr.strip()[-500:]}")
        self._started = True
        self._logs = subprocess.Popen(
            ["docker", "logs", "--follow", self.name],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # Ctrl-C reaches the runtime, which stops the container
        )
        for stream, pipe in (("stdout", self._logs.stdout), ("stderr", self._logs.stderr)):
            assert pipe is not None
            self._spawn(self._read, stream, pipe)
        self._spawn(self._wait_exit)
        return int(inspect(self.name, "{{.State.Pid}}") or 0)

    def _spawn(self, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, name="ecslocal-docker", daemon=True)
        thread.start()
        self._readers.append(thread)

    def _read(self, stream: str, pipe: IO[bytes]) -> None:
        with pipe:
            for raw in iter(pipe.readline, b""):
                self._on_output(stream, raw.decode("utf-8", errors="replace").rstrip("\r\n"))

    def _wait_exit(self) -> None:
        result = subprocess.run(
            ["docker", "wait", self.name],
            capture_output=True,
            text=True,
            check=False,
            start_new_session=True,
        )
        with contextlib.suppress(ValueError):
            self._exit_code = int(result.stdout.strip())
        self._exited.set()

    def poll(self) -> int | None:
        """The exit code, or None while it runs."""
        return self._exit_code if self._exited.is_set() else None

    def wait(self, timeout: float | None = None) -> int | None:
        """Wait up to ``timeout`` seconds; the exit code, or None if it still runs."""
        self._exited.wait(timeout)
        return self.poll()

    def health(self) -> str | None:
        """Docker's health status (``starting``, ``healthy``, ``unhealthy``), None without one."""
        return inspect(self.name, "{{if .State.Health}}{{.State.Health.Status}}{{end}}") or None

    def stop(self, stop_timeout: float = DEFAULT_STOP_TIMEOUT) -> int | None:
        """``docker stop -t``: SIGTERM, SIGKILL after ``stop_timeout``; then the container is removed."""
        if not self._started:
            return None
        if self.poll() is None:
            docker("stop", "--time", str(int(stop_timeout)), self.name, timeout=stop_timeout + 60)
        code = self.wait(timeout=30)
        self._killed = code == KILLED_EXIT_CODE
        for thread in self._readers:
            thread.join(timeout=5)
        docker("rm", "--force", "--volumes", self.name)
        return code

    @property
    def killed(self) -> bool:
        """True when the container ended by SIGKILL."""
        return self._killed


class DockerHealthFollower:
    """Reports Docker's health status of a container as it changes (the runtime's health state).

    Docker 20.10 has no ``--health-start-interval``: its first check runs a whole ``interval``
    (15 s) after start. Until that first result, the follower runs the same check itself with
    ``docker exec`` every ``start_interval`` seconds, as the process engine does, and reports
    HEALTHY at the first success; Docker's own status is followed from then on.
    """

    def __init__(
        self,
        container: DockerContainer,
        report: Callable[[str, CheckResult], None],
        spec: HealthCheckSpec | None = None,
        start_interval: float = 1.0,
        poll_interval: float = 0.5,
    ) -> None:
        self._container = container
        self._report = report
        self._spec = spec
        self._start_interval = start_interval
        self._poll_interval = poll_interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ecslocal-health", daemon=True)

    def start(self) -> DockerHealthFollower:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        last = self._until_first_success() if self._spec is not None else None
        while not self._stop.wait(self._poll_interval):
            raw = inspect(self._container.name, "{{json .State.Health}}")
            if raw is None:
                return
            with contextlib.suppress(ValueError):
                health = json.loads(raw) or {}
                status = _HEALTH_STATES.get(health.get("Status", ""))
                if status is None or status == last:
                    continue
                last = status
                log = (health.get("Log") or [{}])[-1]
                passed = status == HEALTHY
                output = str(log.get("Output", "")).strip()[-MAX_OUTPUT_CHARS:]
                self._report(status, CheckResult(passed, log.get("ExitCode"), output))

    def _until_first_success(self) -> str | None:
        """HEALTHY once a ``docker exec`` of the check passes; None when Docker decides first."""
        assert self._spec is not None
        in_container = HealthCheckSpec(
            argv=("docker", "exec", self._container.name, *self._spec.argv),
            timeout=self._spec.timeout,
        )
        while not self._stop.wait(self._start_interval):
            if self._container.health() != "starting" or self._container.poll() is not None:
                return None  # Docker has a result (or the container ended): follow Docker
            # Failures before the first success do not count, as during startPeriod.
            result = run_check(in_container, os.environ, Path.cwd())
            if result.passed:
                self._report(HEALTHY, result)
                return HEALTHY
        return None


_HEALTH_STATES = {"healthy": HEALTHY, "unhealthy": UNHEALTHY}
