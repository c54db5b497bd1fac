"""The local ECS runtime: AWS on moto, the agent, the endpoints and the container, started in order.

:class:`LocalRuntime` does what ECS does for one Fargate task, on one machine:

1. AWS: an embedded moto server (or ``--aws-endpoint``), bootstrapped from the shipped artifacts as
   an admin, then IAM enforcement on;
2. the agent assumes the execution role and, with it only, checks the image, resolves the secrets
   and creates the log stream (a failure stops the task, as on ECS);
3. the credentials endpoint (task role, session name = task id) and the metadata endpoint v4;
4. the container's command, with a Fargate container's environment, its output shipped to
   CloudWatch Logs, its health check run on schedule;
5. on stop: SIGTERM, ``stopTimeout``, SIGKILL; then logs flushed, endpoints and moto stopped.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from artifacts.context import DEFAULT_ENV, DEFAULT_SERVICE, LOCAL_REGION, DeploymentContext
from artifacts.render import (
    DOCKERFILE,
    POLICIES_DIR,
    PROJECT_ROOT,
    TASKDEF_FILE,
    render_artifacts,
)
from ecslocal.agent import (
    ExecutionAgent,
    PreparedContainer,
    TaskStartError,
    describe_client_error,
)
from ecslocal.console import Console
from ecslocal.credentials import (
    DEFAULT_SESSION_SECONDS,
    MIN_SESSION_SECONDS,
    RoleCredentials,
    RotatingCredentials,
)
from ecslocal.credentials_endpoint import CREDENTIALS_PATH, create_credentials_app
from ecslocal.dockerfile import DockerfileError, ImageConfig, read_dockerfile
from ecslocal.engine_docker import (
    DockerContainer,
    DockerHealthFollower,
    TaskLabels,
    run_arguments,
    write_env_file,
)
from ecslocal.engines import DOCKER_ENGINE, PROCESS_ENGINE
from ecslocal.environment import TaskEndpoints, container_environment
from ecslocal.health import CheckResult, HealthCheckError, HealthCheckSpec, HealthMonitor
from ecslocal.httpserve import ServedApp
from ecslocal.image import LOCAL_IMAGE, ImageError, ensure_image
from ecslocal.launcher import (
    DEFAULT_STOP_TIMEOUT,
    ContainerProcess,
    LaunchError,
    container_command,
    task_user,
    why_not_switch_user,
)
from ecslocal.logship import LogShipper
from ecslocal.metadata_endpoint import METADATA_PREFIX, create_metadata_app
from ecslocal.roles import role_issuer, role_session
from ecslocal.statefile import remove_state, running_pid, write_state
from ecslocal.task import HEALTHY, UNHEALTHY, Container, LocalTask
from ecslocal.wsgi import path_dispatcher

DEFAULT_PORT = 8080
VENV_BIN = Path(sys.executable).parent
OUTPUT_TAIL_LINES = 20


class RuntimeStartError(RuntimeError):
    """The runtime cannot start (a busy port, a missing file, a runtime already running...)."""


@dataclass
class RuntimeOptions:
    """How to run the task; every default is what ``make demo`` uses."""

    port: int = DEFAULT_PORT
    aws_endpoint: str | None = None
    policies_dir: Path = POLICIES_DIR
    taskdef_file: Path = TASKDEF_FILE
    dockerfile: Path = DOCKERFILE
    service: str = DEFAULT_SERVICE
    env: str = DEFAULT_ENV
    region: str = LOCAL_REGION
    api_key: str | None = field(default=None, repr=False)
    state_file: Path | None = None
    credentials_duration: int = DEFAULT_SESSION_SECONDS
    stop_timeout: float | None = None
    static_keys: bool = False
    health_start_interval: float = 1.0
    ready_timeout: float = 60.0
    engine: str = PROCESS_ENGINE
    console_port: int | None = None  # None: no console; 0: any free port


def check_port_free(port: int, host: str = "127.0.0.1") -> None:
    """Raise :class:`RuntimeStartError` with a clear message when ``host:port`` is taken."""
    for bind_host in (host, "0.0.0.0"):  # noqa: S104 - probing, the service may bind all interfaces
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((bind_host, port))
            except OSError as exc:
                if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                    raise RuntimeStartError(
                        f"port {port} is already in use on {host}: stop what listens there, or "
                        f"choose another port (make demo DEMO_PORT=8081)"
                    ) from None
                raise


def reserve_listener(host: str = "127.0.0.1") -> socket.socket:
    """A listening socket on a free port of ``host`` (``--port 0``), held until handed over."""
    sock = socket.socket()
    sock.bind((host, 0))
    sock.listen(128)
    return sock


def check_console_port_free(port: int) -> None:
    """Like :func:`check_port_free`, for the console's port (``CONSOLE_PORT``)."""
    try:
        check_port_free(port)
    except RuntimeStartError:
        raise RuntimeStartError(
            f"the console's port {port} is already in use on 127.0.0.1: choose another "
            "(make demo CONSOLE_PORT=8082)"
        ) from None


class LocalRuntime:
    """One local task and everything it needs, started by :meth:`start`, ended by :meth:`stop`."""

    def __init__(self, options: RuntimeOptions, console: Console) -> None:
        self.options = options
        self.console = console
        self.api_key = options.api_key or secrets.token_urlsafe(24)
        self.authorization_token = secrets.token_urlsafe(32)
        self.credentials_id = secrets.token_hex(16)
        self.port = options.port
        self.endpoint = ""
        self.account: Any = None
        self.task: LocalTask | None = None
        self.container: Container | None = None
        self.process: ContainerProcess | DockerContainer | None = None
        self.task_credentials: RotatingCredentials | None = None
        self.execution_credentials: RotatingCredentials | None = None
        self.prepared: PreparedContainer | None = None
        self.endpoints: ServedApp | None = None
        self.shipper: LogShipper | None = None
        self.monitor: HealthMonitor | DockerHealthFollower | None = None
        self.console_server: ServedApp | None = None
        self.console_auth: Any = None
        self._cleanups: list[Callable[[], None]] = []
        self._output_tail: deque[str] = deque(maxlen=OUTPUT_TAIL_LINES)
        self._health_changed = threading.Condition()
        self._stopped = False
        self._listener: socket.socket | None = None
        self._workdir = Path(tempfile.mkdtemp(prefix="ecslocal-"))
        self._cleanups.append(lambda: _remove_tree(self._workdir))

    # -- start -----------------------------------------------------------------------------------
    def start(self) -> None:
        """Start everything and wait until the container is healthy; undo it all on failure."""
        try:
            self._start()
        except BaseException:
            self.stop("task failed to start")
            raise

    def _start(self) -> None:
        options = self.options
        if options.state_file is not None:
            other = running_pid(options.state_file)
            if other is not None:
                raise RuntimeStartError(
                    f"a local runtime is already running (pid {other}, {options.state_file}); "
                    "stop it first (Ctrl-C in its terminal)"
                )
        if self.port == 0:
            # Kept open and handed to the container (process engine): no other process can take it.
            self._listener = reserve_listener()
            self._cleanups.append(self._listener.close)
            self.port = self._listener.getsockname()[1]
        else:
            check_port_free(self.port)
        if options.console_port:
            check_console_port_free(options.console_port)
        # Unreadable or malformed artifacts stop here, before moto starts; bootstrap renders them
        # again for the real account and key.
        render_artifacts(
            DeploymentContext(service=options.service, env=options.env, region=options.region),
            options.policies_dir,
            options.taskdef_file,
        )
        self._start_aws()
        self._create_task()
        self._run_agent()
        self._serve_endpoints()
        # Written before the container can answer, so `make demo-env` works as soon as /readyz does;
        # "ready" turns true once the container is healthy (what the tour and the tests wait for).
        self._write_state(ready=False)
        self._launch()
        self._wait_until_ready()
        self._serve_console()
        self._write_state(ready=True)

    def _write_state(self, ready: bool) -> None:
        path = self.options.state_file
        if path is None:
            return
        write_state(path, {**self.state(), "ready": ready})
        if not ready:
            pid = os.getpid()
            self._cleanups.append(lambda: remove_state(path, pid))

    def _start_aws(self) -> None:
        from ecslocal.bootstrap import bootstrap_account, enable_enforcement, require_bridges

        options = self.options
        if options.aws_endpoint:
            require_bridges(options.aws_endpoint)
            self.endpoint = options.aws_endpoint.rstrip("/")
        else:
            from ecslocal.moto_server import EmbeddedMoto

            moto = EmbeddedMoto(host="127.0.0.1", port=0)
            self.endpoint = moto.start()
            self._cleanups.append(moto.stop)
        self.console.say(f"moto server at {self.endpoint}: bootstrapping the account as admin")
        self.account = bootstrap_account(
            self.endpoint,
            api_key=self.api_key,
            policies_dir=options.policies_dir,
            taskdef_file=options.taskdef_file,
            service=options.service,
            env=options.env,
            region=options.region,
        )
        enable_enforcement(self.endpoint)
        self.console.say("IAM enforcement is on: from here on only moto-issued keys work")

    @property
    def context(self) -> Any:
        return self.account.context

    def _create_task(self) -> None:
        artifacts = self.account.artifacts
        self.task = LocalTask.start(
            self.context, artifacts.task_definition, self.account.task_definition_arn
        )
        self.container = self.task.container(self.context.container_name)
        self.console.say(
            f"task {self.task.task_arn} (task definition {self.task.family}:{self.task.revision})"
        )

    def _assume(self, role_arn: str, label: str) -> RotatingCredentials:
        """Rotating credentials of ``role_arn`` for the task, the first set issued already.

        The agent assumes both roles with its own keys (session name = the task id); a failure
        stops the task the way ECS stops it.
        """
        assert self.task is not None
        duration = max(MIN_SESSION_SECONDS, self.options.credentials_duration)
        sts = self.account.client("sts", self.account.agent)
        issue = role_issuer(sts, role_arn, self.task.task_id, duration)

        def announce(creds: RoleCredentials, generation: int) -> None:
            if generation > 1:
                self.console.say(
                    f"{label} credentials rotated (generation {generation}, key {creds.masked_key_id()}, "
                    f"expires {creds.expiration:%H:%M:%S}Z)"
                )

        rotating = RotatingCredentials(issue, on_rotate=announce)
        try:
            rotating.current()
        except Exception as exc:
            raise TaskStartError(
                f"ResourceInitializationError: unable to assume the {label} {role_arn}: "
                f"{describe_client_error(exc)}"
            ) from None
        return rotating

    def _run_agent(self) -> None:
        assert self.task is not None and self.container is not None
        task = self.task
        self.execution_credentials = self._assume(task.execution_role_arn, "execution role")
        creds = self.execution_credentials.current()
        self.console.say(f"agent assumed the execution role: {creds.principal_arn}")
        session = role_session(self.execution_credentials, self.options.region)
        agent = ExecutionAgent(
            lambda name: session.client(name, endpoint_url=self.endpoint), self.options.region
        )
        task.pull_started()
        log_stream = task.log_stream_for(self.container)
        self.prepared = agent.prepare(self.container, log_stream)
        task.pulled(self.container, self.prepared.image_id)
        self.container.log_stream = log_stream
        self.console.say(
            f"execution role: image {self.container.image} found in ECR, "
            f"{len(self.prepared.secrets)} secret(s) resolved into the environment"
            + (f", log stream {self.prepared.log_group}:{log_stream}" if log_stream else "")
        )
        if log_stream and self.prepared.log_group:
            self.shipper = LogShipper(
                session.client("logs", endpoint_url=self.endpoint),
                self.prepared.log_group,
                log_stream,
                on_error=lambda message: self.console.say(f"log shipping: {message}"),
            ).start()
            self._cleanups.append(self.shipper.stop)

    def _serve_endpoints(self) -> None:
        assert self.task is not None
        task = self.task
        self.task_credentials = self._assume(task.task_role_arn, "task role")
        creds = self.task_credentials.current()
        app = path_dispatcher(
            {
                CREDENTIALS_PATH: create_credentials_app(
                    {self.credentials_id: self.task_credentials}, self.authorization_token
                ),
                METADATA_PREFIX: create_metadata_app(task),
            }
        )
        self.endpoints = ServedApp(app, "127.0.0.1", 0, name="endpoints").start()
        self._cleanups.append(self.endpoints.stop)
        self.console.say(
            f"credentials endpoint serves the task role {creds.principal_arn} "
            f"at {self.credentials_uri} (token required)"
        )
        self.console.say(f"task metadata endpoint v4 at {self.metadata_uri}")

    @property
    def credentials_uri(self) -> str:
        assert self.endpoints is not None
        return f"{self.endpoints.base_url}{CREDENTIALS_PATH}{self.credentials_id}"

    @property
    def metadata_uri(self) -> str:
        assert self.endpoints is not None and self.container is not None
        return f"{self.endpoints.base_url}{METADATA_PREFIX}{self.container.docker_id}"

    @property
    def service_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _environment(self, image: ImageConfig) -> dict[str, str]:
        assert self.container is not None and self.prepared is not None
        home = self._workdir / "home"
        home.mkdir(mode=0o700, exist_ok=True)
        overrides: dict[str, str] = {}
        if self.options.static_keys:
            keys = self.account.operator
            overrides = {
                "AWS_ACCESS_KEY_ID": keys.access_key_id,
                "AWS_SECRET_ACCESS_KEY": keys.secret_access_key,
            }
        return container_environment(
            self.container.definition,
            secrets=self.prepared.secrets,
            endpoints=TaskEndpoints(
                credentials_full_uri=self.credentials_uri,
                authorization_token=self.authorization_token,
                metadata_uri=self.metadata_uri,
                aws_endpoint_url=self.endpoint,
                region=self.options.region,
            ),
            venv_bin=VENV_BIN,
            home=home,
            image_env=image.env,
            published_port=self.port,
            overrides=overrides,
        )

    def _launch(self) -> None:
        if self.options.engine == DOCKER_ENGINE:
            self._launch_docker()
            return
        assert self.task is not None and self.container is not None
        task, container = self.task, self.container
        try:
            image = read_dockerfile(self.options.dockerfile)
            argv = container_command(container.definition, image)
            env = self._environment(image)
        except (DockerfileError, LaunchError) as exc:
            raise TaskStartError(f"CannotStartContainerError: {exc}") from None
        task.container_created(container)
        listen_fd = None if self._listener is None else self._listener.fileno()
        run_as = task_user(container.definition)
        blocked = why_not_switch_user(Path(sys.executable), PROJECT_ROOT) if run_as else None
        if run_as is not None and blocked is not None:
            self.console.say(f"task user {run_as[0]}:{run_as[1]} not applied: {blocked}")
            run_as = None
        if run_as is not None:
            # The container's HOME lives in the runtime's private directory: the task's user owns it.
            for path in (self._workdir, self._workdir / "home"):
                os.chown(path, *run_as)
            self.console.say(f"container runs as uid:gid {run_as[0]}:{run_as[1]} (task user)")
        self.process = ContainerProcess(
            argv, env, PROJECT_ROOT, self._on_output, listen_fd=listen_fd, run_as=run_as
        )
        try:
            pid = self.process.start()
        except LaunchError as exc:
            raise TaskStartError(f"CannotStartContainerError: {exc}") from None
        self._cleanups.append(self._stop_container)
        task.container_started(container, pid)
        self.console.say(f"container {container.name} started: {' '.join(argv)} (pid {pid})")
        health_check = container.definition.get("healthCheck")
        if health_check:
            try:
                spec = HealthCheckSpec.from_definition(health_check)
            except HealthCheckError as exc:
                raise TaskStartError(f"CannotStartContainerError: {exc}") from None
            self.monitor = HealthMonitor(
                spec,
                env,
                PROJECT_ROOT,
                self._on_health,
                start_interval=self.options.health_start_interval,
                run_as=run_as,
            ).start()
            self._cleanups.append(self.monitor.stop)

    def _launch_docker(self) -> None:
        """The task's container as a real container of the image (built when missing or stale)."""
        assert self.task is not None and self.container is not None
        task, container = self.task, self.container
        try:
            if ensure_image(LOCAL_IMAGE, say=self.console.say):
                self.console.say(f"image {LOCAL_IMAGE} built")
            image = read_dockerfile(self.options.dockerfile)
            env = self._environment(image)
            # The image sets its own PATH and HOME; the host's venv and home mean nothing inside it.
            for name in ("PATH", "HOME"):
                env.pop(name, None)
            name = f"ecslocal-{task.task_id}-{container.name}"
            args = run_arguments(
                task.task_definition,
                container.definition,
                image=LOCAL_IMAGE,
                name=name,
                labels=TaskLabels(
                    task_arn=task.task_arn,
                    container_name=container.name,
                    cluster=task.cluster_arn,
                    family=task.family,
                    revision=task.revision,
                ),
                env_file=write_env_file(self._workdir / "container.env", env),
            )
        except (DockerfileError, LaunchError, ImageError) as exc:
            raise TaskStartError(f"CannotStartContainerError: {exc}") from None
        task.container_created(container)
        if self._listener is not None:
            # A container cannot be handed a socket of this process: the port is free again from
            # here until the container binds it (process engine only is race-free).
            self._listener.close()
        docker_container = DockerContainer(args, name, self._on_output)
        self.process = docker_container
        self._cleanups.append(self._stop_container)
        try:
            pid = docker_container.start()
        except LaunchError as exc:
            raise TaskStartError(f"CannotStartContainerError: {exc}") from None
        task.container_started(container, pid)
        self.console.say(f"container {container.name} started: docker container {name} (pid {pid})")
        if container.has_health_check:
            health_check = container.definition.get("healthCheck")
            self.monitor = DockerHealthFollower(
                docker_container,
                self._on_health,
                # No healthCheck in the task definition: the image's HEALTHCHECK, followed as is.
                spec=HealthCheckSpec.from_definition(health_check) if health_check else None,
                start_interval=self.options.health_start_interval,
            ).start()
            self._cleanups.append(self.monitor.stop)

    def _on_output(self, stream: str, line: str) -> None:
        assert self.container is not None
        self._output_tail.append(line)
        self.console.say(line, source=self.container.name)
        if self.shipper is not None:
            self.shipper.put(line)

    def _on_health(self, status: str, result: CheckResult) -> None:
        assert self.task is not None and self.container is not None
        if self.task.set_health(self.container, status, result.exit_code, result.output):
            detail = (
                "" if status == HEALTHY else f" ({result.output or f'exit {result.exit_code}'})"
            )
            self.console.say(f"container {self.container.name} health: {status}{detail}")
        with self._health_changed:
            self._health_changed.notify_all()

    def _wait_until_ready(self) -> None:
        assert self.container is not None and self.process is not None
        deadline = time.monotonic() + self.options.ready_timeout
        container = self.container
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                raise TaskStartError(
                    f"Essential container in task exited (exit code {code}) before it was healthy"
                )
            if container.has_health_check:
                if container.health.status == HEALTHY:
                    return
                if container.health.status == UNHEALTHY:
                    raise TaskStartError(
                        f"Task failed container health checks: {container.health.output}"
                    )
            elif _answers(self.service_url):
                return
            with self._health_changed:
                self._health_changed.wait(timeout=0.2)
        raise TaskStartError(
            f"the container was not healthy within {self.options.ready_timeout:g} s"
        )

    def _serve_console(self) -> None:
        """The demo console next to the task (loopback only), when a console port is set."""
        if self.options.console_port is None:
            return
        from ecslocal.webconsole import ConsoleAuth, create_console_app
        from ecslocal.webconsole.view import RuntimeView

        port = self.options.console_port
        self.console_auth = ConsoleAuth(self.api_key)
        server = ServedApp(None, "127.0.0.1", port, name="console")
        server.set_app(create_console_app(RuntimeView(self), self.console_auth, server.port))
        self.console_server = server.start()
        self._cleanups.append(server.stop)
        self.console.say(f"demo console at {self.console_url}")

    @property
    def console_url(self) -> str | None:
        """The console's address (without a login token), or None when there is no console."""
        return None if self.console_server is None else f"{self.console_server.base_url}/"

    # -- while running ---------------------------------------------------------------------------
    def rotate_task_credentials(self) -> None:
        """Issue new task-role credentials now (the running service must pick them up)."""
        if self.task_credentials is not None:
            self.task_credentials.rotate()

    def container_exit_code(self) -> int | None:
        """The container's exit code once it has exited, else None."""
        return None if self.process is None else self.process.poll()

    def state(self) -> dict[str, Any]:
        """What ``make demo-env``, the tour and the tests need (secrets included: mode 0600)."""
        assert self.task is not None and self.container is not None
        context = self.context
        operator, agent = self.account.operator, self.account.agent
        return {
            "pid": os.getpid(),
            "service_url": self.service_url,
            "api_key": self.api_key,
            "credentials_full_uri": self.credentials_uri,
            "authorization_token": self.authorization_token,
            "metadata_uri": self.metadata_uri,
            "console_url": self.console_url,
            "aws_endpoint": self.endpoint,
            "region": self.options.region,
            "account_id": context.account_id,
            "task_id": self.task.task_id,
            "task_arn": self.task.task_arn,
            "cluster_arn": self.task.cluster_arn,
            "task_definition_arn": self.task.task_definition_arn,
            "container_name": self.container.name,
            "container_pid": self.container.pid,
            "docker_id": self.container.docker_id,
            "task_role_arn": self.task.task_role_arn,
            "execution_role_arn": self.task.execution_role_arn,
            "log_group": self.prepared.log_group if self.prepared else None,
            "log_stream": self.container.log_stream,
            "pending_queue_url": self.account.pending_queue_url,
            "confirmed_queue_url": self.account.confirmed_queue_url,
            "api_key_parameter": self.account.api_key_parameter,
            "operator": {
                "access_key_id": operator.access_key_id,
                "secret_access_key": operator.secret_access_key,
            },
            "agent": {
                "access_key_id": agent.access_key_id,
                "secret_access_key": agent.secret_access_key,
            },
        }

    # -- stop ------------------------------------------------------------------------------------
    def _stop_container(self) -> None:
        assert self.task is not None and self.container is not None and self.process is not None
        stop_timeout = self.options.stop_timeout
        if stop_timeout is None:
            stop_timeout = float(self.container.definition.get("stopTimeout", DEFAULT_STOP_TIMEOUT))
        if self.process.poll() is None:
            self.console.say(
                f"stopping container {self.container.name}: SIGTERM, then SIGKILL after {stop_timeout:g} s"
            )
        if self.monitor is not None:
            self.monitor.stop()
        code = self.process.stop(stop_timeout)
        self.task.container_stopped(self.container, code)
        how = "killed (SIGKILL)" if self.process.killed else f"exit code {code}"
        self.console.say(f"container {self.container.name} stopped: {how}")

    def stop(self, reason: str = "Task stopped by user") -> None:
        """Stop the container like ECS, flush the logs, stop the endpoints and moto. Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        if self.task is not None:
            self.task.stopping(reason)
        errors = []
        while self._cleanups:
            cleanup = self._cleanups.pop()
            try:
                cleanup()
            except Exception as exc:  # keep stopping the rest
                name = getattr(cleanup, "__qualname__", cleanup)
                errors.append(f"{name}: {type(exc).__name__}: {exc}")
        if self.task is not None:
            self.task.stopped(reason)
        for error in errors:
            self.console.say(f"while stopping: {error}")


def _answers(url: str) -> bool:
    parts = urlsplit(url)
    with (
        contextlib.suppress(OSError),
        socket.create_connection((parts.hostname, parts.port), timeout=0.5),
    ):
        return True
    return False


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
