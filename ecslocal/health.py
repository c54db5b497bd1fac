"""Container health checks, run the way ECS runs a task definition's ``healthCheck``.

``CMD`` runs the argv directly, ``CMD-SHELL`` runs through ``/bin/sh -c``. Failures during
``startPeriod`` do not count until the first success; ``retries`` consecutive failures after that make
the container UNHEALTHY, one success makes it HEALTHY. Until the first success the check runs every
``start_interval`` seconds (like Docker's ``--health-start-interval``) so a healthy container is
reported within seconds rather than after a full ``interval``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecslocal.task import HEALTHY, UNHEALTHY, UNKNOWN

# ECS's defaults for the fields a healthCheck may leave out.
DEFAULT_INTERVAL = 30
DEFAULT_TIMEOUT = 5
DEFAULT_RETRIES = 3
DEFAULT_START_PERIOD = 0
MAX_OUTPUT_CHARS = 1024


class HealthCheckError(ValueError):
    """The task definition's healthCheck cannot be run; the message says why."""


@dataclass(frozen=True)
class HealthCheckSpec:
    """A parsed ``healthCheck``."""

    argv: tuple[str, ...]
    interval: float = DEFAULT_INTERVAL
    timeout: float = DEFAULT_TIMEOUT
    retries: int = DEFAULT_RETRIES
    start_period: float = DEFAULT_START_PERIOD

    @classmethod
    def from_definition(cls, health_check: Mapping[str, Any]) -> HealthCheckSpec:
        """Parse a container definition's ``healthCheck``, with ECS's defaults."""
        command = list(health_check.get("command") or [])
        if len(command) < 2 or command[0] not in ("CMD", "CMD-SHELL"):
            raise HealthCheckError(
                f"healthCheck.command {command!r} must start with CMD or CMD-SHELL and name a command"
            )
        if command[0] == "CMD-SHELL":
            argv: tuple[str, ...] = ("/bin/sh", "-c", " ".join(command[1:]))
        else:
            argv = tuple(command[1:])
        return cls(
            argv=argv,
            interval=float(health_check.get("interval", DEFAULT_INTERVAL)),
            timeout=float(health_check.get("timeout", DEFAULT_TIMEOUT)),
            retries=int(health_check.get("retries", DEFAULT_RETRIES)),
            start_period=float(health_check.get("startPeriod", DEFAULT_START_PERIOD)),
        )


class HealthTracker:
    """The status decision, apart from running anything: feed it results, read the status."""

    def __init__(self, spec: HealthCheckSpec, started: float) -> None:
        self._spec = spec
        self._started = started
        self._failures = 0
        self._ever_healthy = False
        self.status = UNKNOWN

    def in_start_period(self, now: float) -> bool:
        return not self._ever_healthy and now - self._started < self._spec.start_period

    def record(self, passed: bool, now: float) -> str:
        """Record one check's result at ``now``; the status after it."""
        if passed:
            self._failures = 0
            self._ever_healthy = True
            self.status = HEALTHY
        elif not self.in_start_period(now):
            self._failures += 1
            if self._failures >= self._spec.retries:
                self.status = UNHEALTHY
        return self.status

    def next_delay(self, now: float, start_interval: float) -> float:
        """Seconds until the next check."""
        if self.status == UNKNOWN:
            return min(start_interval, self._spec.interval)
        return self._spec.interval


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one run of the check command."""

    passed: bool
    exit_code: int | None
    output: str


def run_check(
    spec: HealthCheckSpec,
    env: Mapping[str, str],
    cwd: Path,
    run_as: tuple[int, int] | None = None,
) -> CheckResult:
    """Run the check command once (as ``run_as`` uid/gid when given), in its own process group,
    killed at ``spec.timeout``."""
    user = {} if run_as is None else {"user": run_as[0], "group": run_as[1], "extra_groups": []}
    try:
        process = subprocess.Popen(
            spec.argv,
            **user,
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    except OSError as exc:
        return CheckResult(False, None, f"cannot run health check: {exc.strerror}")
    try:
        output, _ = process.communicate(timeout=spec.timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process.pid)
        process.communicate()
        return CheckResult(False, None, f"health check timed out after {spec.timeout:g} s")
    text = output.decode("utf-8", errors="replace")[-MAX_OUTPUT_CHARS:]
    return CheckResult(process.returncode == 0, process.returncode, text.strip())


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


class HealthMonitor:
    """Runs the check on its schedule in a thread and reports each result."""

    def __init__(
        self,
        spec: HealthCheckSpec,
        env: Mapping[str, str],
        cwd: Path,
        report: Callable[[str, CheckResult], None],
        *,
        start_interval: float = 1.0,
        run_as: tuple[int, int] | None = None,
    ) -> None:
        self._spec = spec
        self._run_as = run_as
        self._env = dict(env)
        self._cwd = cwd
        self._report = report
        self._start_interval = start_interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ecslocal-health", daemon=True)

    def start(self) -> HealthMonitor:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self._spec.timeout + 2)

    def _run(self) -> None:
        tracker = HealthTracker(self._spec, time.monotonic())
        while not self._stop.wait(tracker.next_delay(time.monotonic(), self._start_interval)):
            result = run_check(self._spec, self._env, self._cwd, self._run_as)
            if self._stop.is_set():
                return
            status = tracker.record(result.passed, time.monotonic())
            self._report(status, result)
