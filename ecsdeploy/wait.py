"""Wait for the ECS service to become stable (or, on destroy, inactive), with a progress line.

Stable means what ``aws ecs wait services-stable`` means, plus the rollout state: one deployment
left, its rollout COMPLETED, and as many tasks running as desired. A FAILED rollout is the circuit
breaker giving up (and rolling back): that ends the wait at once with the reason ECS gives.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from ecsdeploy.errors import DeployError

POLL_SECONDS = 10.0


@dataclass(frozen=True)
class Rollout:
    """Where a service's deployment stands."""

    stable: bool
    failed: bool
    summary: str


def rollout_status(service: dict[str, Any]) -> Rollout:
    """Read a ``DescribeServices`` entry: stable, failed, and a one-line summary."""
    deployments = service.get("deployments", [])
    primary = next((d for d in deployments if d.get("status") == "PRIMARY"), {})
    state = primary.get("rolloutState", "UNKNOWN")
    running = service.get("runningCount", 0)
    desired = service.get("desiredCount", 0)
    pending = service.get("pendingCount", 0)
    summary = f"{running}/{desired} tasks running, {pending} pending, rollout {state}"
    if len(deployments) > 1:
        summary += f", {len(deployments) - 1} older deployment(s) draining"
    if state == "FAILED":
        reason = primary.get("rolloutStateReason", "")
        return Rollout(False, True, f"{summary}: {reason}".rstrip(": "))
    stable = len(deployments) == 1 and state == "COMPLETED" and running == desired
    return Rollout(stable, False, summary)


class Progress:
    """One status line: rewritten in place on a terminal, printed when it changes otherwise."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.last = ""

    def show(self, text: str) -> None:
        """Show the current status line."""
        if self.tty:
            self.stream.write("\r\033[K" + text)
            self.stream.flush()
        elif text != self.last:
            self.stream.write(text + "\n")
            self.stream.flush()
        self.last = text

    def done(self) -> None:
        """End the status line (on a terminal, move past it)."""
        if self.tty and self.last:
            self.stream.write("\n")
            self.stream.flush()


def _poll(
    check: Callable[[], tuple[bool, str]],
    what: str,
    timeout: float,
    interval: float,
    progress: Progress,
    on_timeout: str,
) -> None:
    started = time.monotonic()
    try:
        while True:
            finished, summary = check()
            elapsed = time.monotonic() - started
            progress.show(f"waiting for {what}: {summary} ({elapsed:.0f} s)")
            if finished:
                return
            remaining = timeout - elapsed
            if remaining <= 0:
                raise DeployError(
                    f"timed out after {timeout:g} s waiting for {what} ({summary}). {on_timeout}"
                )
            time.sleep(min(interval, remaining))
    finally:
        progress.done()


def _describe(aws: Any, cluster: str, service: str) -> dict[str, Any] | None:
    found = aws.client("ecs").describe_services(cluster=cluster, services=[service])
    return next(iter(found.get("services", [])), None)


def wait_for_stable(
    aws: Any,
    cluster: str,
    service: str,
    timeout: float,
    interval: float = POLL_SECONDS,
    progress: Progress | None = None,
) -> None:
    """Poll until the service is stable; raise DeployError on a failed rollout or the timeout."""

    def check() -> tuple[bool, str]:
        described = _describe(aws, cluster, service)
        if described is None:
            raise DeployError(f"service {service} disappeared from cluster {cluster}")
        rollout = rollout_status(described)
        if rollout.failed:
            events = [e.get("message", "") for e in described.get("events", [])[:3]]
            detail = "; ".join(e for e in events if e)
            raise DeployError(
                f"the deployment of {service} failed and the circuit breaker rolled it back: "
                f"{rollout.summary}" + (f". Recent events: {detail}" if detail else "")
            )
        return rollout.stable, rollout.summary

    _poll(
        check,
        f"service {service} to become stable",
        timeout,
        interval,
        progress or Progress(),
        "ECS goes on with the deployment: follow it with `aws ecs describe-services --cluster "
        f"{cluster} --services {service}` (events) and the log group; the circuit breaker rolls "
        "back if tasks keep failing.",
    )


def wait_for_inactive(
    aws: Any,
    cluster: str,
    service: str,
    timeout: float,
    interval: float = POLL_SECONDS,
    progress: Progress | None = None,
) -> None:
    """Poll until a deleted service's tasks have stopped (status INACTIVE)."""

    def check() -> tuple[bool, str]:
        described = _describe(aws, cluster, service)
        if described is None or described.get("status") == "INACTIVE":
            return True, "inactive"
        return (
            False,
            f"{described.get('status')}, {described.get('runningCount', 0)} task(s) running",
        )

    _poll(
        check,
        f"service {service} to drain",
        timeout,
        interval,
        progress or Progress(),
        "Its tasks are still stopping: run destroy again in a few minutes to finish.",
    )
