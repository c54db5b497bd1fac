"""Readiness: do the credentials resolve, and can the service reach both its queues?

The answer is cached for a few seconds (failures too), and concurrent probes share one evaluation,
so a load balancer or an eager client cannot turn ``/readyz`` into a flood of AWS calls.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from service.aws import AwsClients
from service.errors import ServiceError
from service.queues import ServiceQueues, check_reachable

CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class Check:
    """One readiness check (credentials, or one queue) and what it found."""

    name: str
    ok: bool
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "message": self.message}


@dataclass(frozen=True)
class Readiness:
    """The outcome of every check; ready when all of them pass."""

    checks: tuple[Check, ...]

    @property
    def ready(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def failing(self) -> list[Check]:
        return [check for check in self.checks if not check.ok]


def _credentials_check(clients: AwsClients) -> Check:
    try:
        credentials = clients.session.get_credentials()
        if credentials is None:
            return Check("credentials", False, "the default credential chain found no credentials")
        credentials.get_frozen_credentials()  # refreshes temporary credentials if they are due
    except Exception as exc:  # providers raise more than BotoCoreError; their text may hold data
        return Check(
            "credentials", False, f"the credentials could not be loaded ({type(exc).__name__})"
        )
    return Check("credentials", True, "resolved")


def evaluate(
    clients: AwsClients,
    queues: ServiceQueues,
    describe: Callable[[ServiceError], str] = lambda error: error.message,
) -> Readiness:
    """Run every check once (the queue checks only when credentials resolved).

    ``describe`` words a failed queue check's error (e.g. naming the role a denial concerns).
    """
    credentials = _credentials_check(clients)
    checks = [credentials]
    for queue in queues:
        name = f"{queue.name}_queue"
        if not credentials.ok:
            checks.append(Check(name, False, "not checked: no credentials"))
            continue
        try:
            check_reachable(clients.sqs, queue)
        except ServiceError as error:
            checks.append(Check(name, False, f"{error.code}: {describe(error)}"))
        else:
            checks.append(Check(name, True, f"reachable: {queue.arn}"))
    return Readiness(tuple(checks))


class ReadinessProbe:
    """Evaluates readiness at most once per ``cache_seconds``; thread-safe."""

    def __init__(
        self,
        clients: AwsClients,
        queues: ServiceQueues,
        describe: Callable[[ServiceError], str] = lambda error: error.message,
        cache_seconds: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clients = clients
        self._describe = describe
        self._queues = queues
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._cached: tuple[float, Readiness] | None = None

    def check(self) -> Readiness:
        """The cached readiness, re-evaluated when older than the cache period."""
        with self._lock:
            now = self._clock()
            if self._cached is not None and now - self._cached[0] < self._cache_seconds:
                return self._cached[1]
            readiness = evaluate(self._clients, self._queues, self._describe)
            self._cached = (self._clock(), readiness)
            return readiness
