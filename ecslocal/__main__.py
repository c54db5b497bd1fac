"""``python -m ecslocal``: run the task definition locally, print a demo shell's exports, take the tour.

Commands:
  run          run the task on an embedded moto server until Ctrl-C or SIGTERM
  demo         the same, then print the service URL, the API key, who runs as what and curl commands
  env          print the export lines of a shell "inside the task" (needs a running demo)
  tour         start fresh runtimes and show, step by step, what each role may and may not do
  endpoints    serve only the credentials and metadata endpoints (for a container run by hand elsewhere)
  moto-server  start a moto server with the compatibility bridges (for --aws-endpoint)
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType

from artifacts.context import (
    DEFAULT_ENV,
    DEFAULT_SERVICE,
    LOCAL_REGION,
    ContextError,
    DeploymentContext,
)
from artifacts.render import DOCKERFILE, POLICIES_DIR, TASKDEF_FILE
from ecslocal.console import Console
from ecslocal.credentials import DEFAULT_SESSION_SECONDS, MIN_SESSION_SECONDS
from ecslocal.engines import ENGINES, PROCESS_ENGINE
from ecslocal.environment import ISOLATION
from ecslocal.statefile import DEFAULT_STATE_FILE, StateFileError, export_lines, read_state

EXIT_OK = 0
EXIT_START_FAILED = 1
EXIT_USAGE = 2
EXIT_CONTAINER_EXITED = 3
EXIT_INTERRUPTED = 130


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) < 65536:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a port number (0-65535, 0 = any free port)"
        )
    return int(text)


def _duration(text: str) -> int:
    if not text.isdigit() or not MIN_SESSION_SECONDS <= int(text) <= 43200:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a session duration in seconds ({MIN_SESSION_SECONDS}-43200)"
        )
    return int(text)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds")
    return value


def _context_field(name: str) -> Callable[[str], str]:
    """An argument type that accepts what :class:`DeploymentContext` accepts for ``name``."""

    def check(text: str) -> str:
        try:
            DeploymentContext(**{name: text})
        except ContextError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        return text

    return check


def _existing(kind: str) -> Callable[[str], Path]:
    """An argument type for a path that must be an existing ``file`` or ``directory``."""

    def check(text: str) -> Path:
        path = Path(text)
        found = path.is_dir() if kind == "directory" else path.is_file()
        if not found:
            raise argparse.ArgumentTypeError(f"{text}: no such {kind}")
        return path

    return check


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port",
        type=_port,
        # A string default goes through _port at parse time: a bad DEMO_PORT is a usage error.
        default=os.environ.get("DEMO_PORT") or "8080",
        help="port the container is published on, on 127.0.0.1 (default: $DEMO_PORT or 8080; 0 = free)",
    )
    parser.add_argument(
        "--console-port",
        type=_port,
        default=os.environ.get("CONSOLE_PORT") or "8081",
        help="port of the demo console on 127.0.0.1 (default: $CONSOLE_PORT or 8081; 0 = free)",
    )
    parser.add_argument(
        "--aws-endpoint",
        metavar="URL",
        help="use this moto server instead of an embedded one; it must have been started with "
        "`python -m ecslocal moto-server` (a plain moto server lacks the compatibility bridges) "
        "and must still have IAM enforcement off",
    )
    parser.add_argument(
        "--policies-dir",
        type=_existing("directory"),
        default=POLICIES_DIR,
        help="IAM policies to apply",
    )
    parser.add_argument(
        "--taskdef", type=_existing("file"), default=TASKDEF_FILE, help="task definition to run"
    )
    parser.add_argument(
        "--dockerfile", type=_existing("file"), default=DOCKERFILE, help="Dockerfile whose CMD runs"
    )
    parser.add_argument(
        "--service",
        type=_context_field("service"),
        default=DEFAULT_SERVICE,
        help="service name (resource names)",
    )
    parser.add_argument(
        "--env",
        type=_context_field("env"),
        default=DEFAULT_ENV,
        help="environment name (resource names)",
    )
    parser.add_argument(
        "--region",
        type=_context_field("region"),
        default=LOCAL_REGION,
        help="AWS region of the local account",
    )
    parser.add_argument(
        "--state-file",
        type=Path,
        default=DEFAULT_STATE_FILE,
        help="where to write the running task's state for `make demo-env` and tests (mode 0600, "
        "removed on exit; default: .demo/state.json)",
    )
    parser.add_argument(
        "--credentials-duration",
        type=_duration,
        default=DEFAULT_SESSION_SECONDS,
        metavar="SECONDS",
        help="lifetime of the role sessions; they are refreshed at half-life "
        f"(default {DEFAULT_SESSION_SECONDS}; {MIN_SESSION_SECONDS} makes SDKs fetch on every call). "
        "SIGUSR1 to the runtime rotates the task-role credentials at once",
    )
    parser.add_argument(
        "--stop-timeout",
        type=_seconds,
        metavar="SECONDS",
        help="seconds between SIGTERM and SIGKILL (default: the container's stopTimeout)",
    )
    parser.add_argument(
        "--static-keys",
        action="store_true",
        help="also put long-lived access keys (the local operator's) in the container's "
        "environment, as a mistaken task definition would: they shadow the task role",
    )
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default=os.environ.get("ENGINE") or PROCESS_ENGINE,
        help="run the container as a process (default; no Docker needed) or as a real container of "
        "the image, built when missing or stale (default: $ENGINE or process)",
    )
    parser.add_argument(
        "--ready-timeout",
        type=_seconds,
        default=60.0,
        help="seconds to wait for a healthy container",
    )


def build_parser() -> argparse.ArgumentParser:
    """The parser of every ``python -m ecslocal`` command (``moto-server`` parses its own)."""
    parser = argparse.ArgumentParser(
        prog="python -m ecslocal",
        description="Run the shipped task definition the way ECS would, on one machine, with the "
        "execution role and the task role enforced by an embedded moto server.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run the task until Ctrl-C or SIGTERM")
    _add_run_options(run)
    demo = commands.add_parser(
        "demo", help="run the task and print the URL, API key, roles and curl commands"
    )
    _add_run_options(demo)

    env = commands.add_parser(
        "env", help="print export lines for a shell inside the running task (make demo-env)"
    )
    env.add_argument("--state-file", type=Path, default=DEFAULT_STATE_FILE)

    tour = commands.add_parser(
        "tour", help="show, step by step, what each role may and may not do (fresh runtimes)"
    )
    tour.add_argument(
        "--keep-going", action="store_true", help="run every step even after a failure"
    )

    endpoints = commands.add_parser(
        "endpoints",
        help="serve only the credentials and metadata endpoints (a container run elsewhere)",
        description="Serve the ECS credentials endpoint in its RELATIVE_URI form "
        "(GET /v2/credentials/<ID>, no token: on ECS only the task reaches 169.254.170.2) and the "
        "task metadata endpoint v4 (GET /v4/<docker-id>[/task|/taskWithTags|/stats|/task/stats]). "
        "The role is assumed with the AWS credentials in this process's environment (the local "
        "agent's keys), session name = the task id. For a container on a network of its own, give this process the "
        "address 169.254.170.2 and --listen 0.0.0.0:80, and the service container "
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/v2/credentials/<ID> and "
        "ECS_CONTAINER_METADATA_URI_V4=http://169.254.170.2/v4/<task-id>-1000000000 (SDKs only "
        "accept a plain-http FULL_URI on loopback or ECS's link-local addresses). The variables "
        "are printed at start.",
    )
    endpoints.add_argument("--aws-endpoint", metavar="URL", required=True, help="moto server URL")
    endpoints.add_argument(
        "--listen", default="127.0.0.1:8090", metavar="HOST:PORT", help="address to serve on"
    )
    endpoints.add_argument(
        "--credentials-id", metavar="ID", help="the id in /v2/credentials/<ID> (default: random)"
    )
    endpoints.add_argument(
        "--role-arn", metavar="ARN", help="role to serve (default: the task definition's task role)"
    )
    endpoints.add_argument(
        "--task-id",
        metavar="ID",
        help="task id, 32 hex digits (default: random); the metadata URI is then "
        "/v4/<task-id>-1000000000",
    )
    endpoints.add_argument(
        "--region",
        type=_context_field("region"),
        default=None,
        help="region (default: $AWS_REGION or us-east-1)",
    )
    endpoints.add_argument(
        "--taskdef",
        type=_existing("file"),
        default=TASKDEF_FILE,
        help="task definition (task role, metadata)",
    )
    endpoints.add_argument(
        "--policies-dir",
        type=_existing("directory"),
        default=POLICIES_DIR,
        help="policies the account was set up with",
    )
    endpoints.add_argument(
        "--credentials-duration",
        type=_duration,
        default=DEFAULT_SESSION_SECONDS,
        metavar="SECONDS",
        help=f"role session lifetime, refreshed at half-life (default {DEFAULT_SESSION_SECONDS})",
    )

    # Its own options ([--host H] [--port N]) are parsed by ecslocal.moto_server (see main()).
    commands.add_parser(
        "moto-server",
        help="start a moto server with the compatibility bridges (for --aws-endpoint); "
        "`moto-server --help` for its options",
        add_help=False,
    )
    return parser


def isolate_from_caller_aws_settings() -> None:
    """Forget the caller's AWS settings: the runtime talks only to its moto server, with its keys."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "ECS_")):
            del os.environ[name]
    os.environ.update(ISOLATION)


class _Signals:
    """SIGINT/SIGTERM ask the runtime to stop; SIGUSR1 asks it to rotate the task credentials."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.rotate = threading.Event()
        self.signal_name = ""
        self.raise_on_stop = True  # while starting, unwind the start at once

    def install(self) -> None:
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGUSR1, lambda *_: self.rotate.set())

    def _on_stop(self, signum: int, _frame: FrameType | None) -> None:
        self.signal_name = signal.Signals(signum).name
        self.stop.set()
        if self.raise_on_stop:
            self.raise_on_stop = False
            raise KeyboardInterrupt


def run_runtime(args: argparse.Namespace, banner: str) -> int:
    """Run the task until a signal or the container exits; the exit status."""
    from artifacts.loader import ArtifactError
    from ecslocal.agent import TaskStartError
    from ecslocal.bootstrap import BootstrapError
    from ecslocal.demo import print_banner
    from ecslocal.runtime import LocalRuntime, RuntimeOptions, RuntimeStartError

    console = Console()
    options = RuntimeOptions(
        port=args.port,
        aws_endpoint=args.aws_endpoint,
        policies_dir=args.policies_dir,
        taskdef_file=args.taskdef,
        dockerfile=args.dockerfile,
        service=args.service,
        env=args.env,
        region=args.region,
        state_file=args.state_file,
        credentials_duration=args.credentials_duration,
        stop_timeout=args.stop_timeout,
        static_keys=args.static_keys,
        ready_timeout=args.ready_timeout,
        engine=args.engine,
        console_port=args.console_port,
    )
    runtime = LocalRuntime(options, console)
    signals = _Signals()
    signals.install()
    try:
        runtime.start()
    except KeyboardInterrupt:
        # start() stops what it started when interrupted inside it; the signal may also land
        # just after it returned, with the container running (stop is idempotent).
        runtime.stop("Task stopped by user")
        console.say("interrupted while starting: everything started so far is stopped")
        return EXIT_INTERRUPTED
    except TaskStartError as exc:
        console.say(f"task stopped before it started: {exc}")
        print(f"ecslocal: task stopped: {exc}", file=sys.stderr)
        return EXIT_START_FAILED
    except (RuntimeStartError, BootstrapError, ArtifactError) as exc:
        print(f"ecslocal: {exc}", file=sys.stderr)
        return EXIT_START_FAILED
    except Exception as exc:  # an unexpected failure still stops what was started, then says what
        print(f"ecslocal: cannot start: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_START_FAILED
    signals.raise_on_stop = False
    if signals.stop.is_set():  # a signal arrived between the end of start and here
        runtime.stop("Task stopped by user")
        return EXIT_OK
    print_banner(runtime, console, with_secrets=banner == "demo")
    exit_status = EXIT_OK
    reason = "Task stopped by user"
    while not signals.stop.wait(0.2):
        if signals.rotate.is_set():
            signals.rotate.clear()
            runtime.rotate_task_credentials()
        code = runtime.container_exit_code()
        if code is not None:
            reason = f"Essential container in task exited (exit code {code})"
            exit_status = EXIT_CONTAINER_EXITED
            break
    if signals.signal_name:
        console.say(f"{signals.signal_name} received: stopping the task like ECS")
    runtime.stop(reason)
    console.say(f"task stopped: {reason}")
    return exit_status


def print_env(args: argparse.Namespace) -> int:
    """Print the export lines of the running runtime's state file (``make demo-env``)."""
    try:
        state = read_state(args.state_file)
    except StateFileError as exc:
        print(f"ecslocal: {exc}", file=sys.stderr)
        return EXIT_START_FAILED
    print("\n".join(export_lines(state)))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; its exit status. Ctrl-C is an exit status too, never a traceback."""
    try:
        return _run_command(list(sys.argv[1:] if argv is None else argv))
    except KeyboardInterrupt:
        print("ecslocal: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _run_command(words: list[str]) -> int:
    if words[:1] == ["moto-server"]:
        isolate_from_caller_aws_settings()
        from ecslocal.moto_server import main as moto_main

        return moto_main(words[1:])
    args = build_parser().parse_args(words)
    if args.command in ("run", "demo", "tour"):
        # Before moto or boto3 are imported: a caller's AWS_PROFILE breaks their import.
        isolate_from_caller_aws_settings()
    if args.command in ("run", "demo"):
        return run_runtime(args, banner=args.command)
    if args.command == "env":
        return print_env(args)
    if args.command == "tour":
        from ecslocal.tour import run_tour

        return run_tour()
    if args.command == "endpoints":
        from ecslocal.standalone import serve_endpoints

        return serve_endpoints(args)
    return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
