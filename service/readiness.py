"""Readiness: do the credentials resolve, and can the service reach both its queues?

The checks run in parallel under one deadline (:data:`~service.aws.PROBE_DEADLINE_SECONDS`), so a
hung AWS makes ``/readyz`` answer "not ready" in time rather than hang. A result is kept for
:data:`CACHE_SECONDS` (failures too), and concurrent probes share one evaluation without queueing
on a lock: a burst of probes costs one set of AWS calls, and no probe waits past the deadline.

Each failing check carries a stable reason code (:data:`REASONS`); the public answer is only
ready or not and the first reason, the details (queue ARNs, the missing permission, the role) are
for callers with the API key.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from service.aws import PROBE_DEADLINE_SECONDS, AwsClients
from service.errors import (
    AccessDenied,
    AwsUnavailable,
    CredentialsRejected,
    CredentialsUnavailable,
    QueueUnavailable,
    ServiceError,
)
from service.queues import ServiceQueues, check_reachable

CACHE_SECONDS = 2.0

# Stable reason codes, in the order a failing probe reports them (docs/operating.md lists them).
NO_CREDENTIALS = "no_credentials"
CREDENTIALS_REJECTED = "credentials_rejected"
ACCESS_DENIED = "access_denied"
QUEUE_MISSING = "queue_missing"
QUEUE_UNREACHABLE = "queue_unreachable"
CHECK_TIMEOUT = "check_timeout"
REASONS = (
    NO_CREDENTIALS,
    CREDENTIALS_REJECTED,
    ACCESS_DENIED,
    QUEUE_MISSING,
    QUEUE_UNREACHABLE,
    CHECK_TIMEOUT,
)

_REASON_OF_ERROR: tuple[tuple[type[ServiceError], str], ...] = (
    (CredentialsUnavailable, NO_CREDENTIALS),
    (CredentialsRejected, CREDENTIALS_REJECTED),
    (AccessDenied, ACCESS_DENIED),
    (QueueUnavailable, QUEUE_MISSING),
    (AwsUnavailable, QUEUE_UNREACHABLE),
)


def reason_for(error: ServiceError) -> str:
    """The stable reason code of a failed check's error."""
    for error_type, reason in _REASON_OF_ERROR:
        if isinstance(error, error_type):
            return reason
    return QUEUE_UNREACHABLE


@dataclass(frozen=True)
class ReadinessCheck:
    """One readiness check (credentials, or one queue): what it found and, if failing, why."""

    name: str
    ok: bool
    message: str
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "reason": self.reason, "message": self.message}


@dataclass(frozen=True)
class Readiness:
    """The outcome of every check; ready when all of them pass."""

    checks: tuple[ReadinessCheck, ...]

    @property
    def ready(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def failing(self) -> list[ReadinessCheck]:
        return [check for check in self.checks if not check.ok]

    @property
    def reason(self) -> str | None:
        """The reason code to tell anyone: the first in :data:`REASONS` order among the failing."""
        reasons = {check.reason for check in self.failing}
        return next((reason for reason in REASONS if reason in reasons), None)


def _credentials_check(clients: AwsClients) -> ReadinessCheck:
    try:
        credentials = clients.session.get_credentials()
        if credentials is None:
            return ReadinessCheck(
                "credentials",
                False,
                "the default credential chain found no credentials",
                NO_CREDENTIALS,
            )
        credentials.get_frozen_credentials()  # refreshes temporary credentials if they are due
    except Exception as exc:  # providers raise more than BotoCoreError; their text may hold data
        return ReadinessCheck(
            "credentials",
            False,
            f"the credentials could not be loaded ({type(exc).__name__})",
            NO_CREDENTIALS,
        )
    return ReadinessCheck("credentials", True, "resolved")


def check_readiness(
    clients: AwsClients,
    queues: ServiceQueues,
    describe: Callable[[ServiceError], str] = lambda error: error.message,
    deadline_seconds: float = PROBE_DEADLINE_SECONDS,
) -> Readiness:
    """Run every check once, in parallel, and wait for them at most ``deadline_seconds``.

    The queue checks run only when credentials resolved; a check still running at the deadline
    fails with :data:`CHECK_TIMEOUT` (its thread ends by itself: the probe client's own timeouts
    are below the deadline). ``describe`` words a failed queue check's error (e.g. naming the role
    a denial concerns).
    """
    started = time.monotonic()
    credentials = _credentials_check(clients)
    if not credentials.ok:
        skipped = [
            ReadinessCheck(
                f"{queue.name}_queue", False, "not checked: no credentials", NO_CREDENTIALS
            )
            for queue in queues
        ]
        return Readiness((credentials, *skipped))

    results: dict[str, ReadinessCheck] = {}

    def check_queue(queue: Any) -> None:
        name = f"{queue.name}_queue"
        try:
            check_reachable(clients.probe_sqs, queue)
        except ServiceError as error:
            results[name] = ReadinessCheck(
                name, False, f"{error.code}: {describe(error)}", reason_for(error)
            )
        except Exception as exc:  # a check must report, never raise; the type says enough
            results[name] = ReadinessCheck(
                name, False, f"check failed ({type(exc).__name__})", QUEUE_UNREACHABLE
            )
        else:
            results[name] = ReadinessCheck(name, True, f"reachable: {queue.arn}")

    threads = [
        threading.Thread(
            target=check_queue, args=(queue,), name=f"readyz-{queue.name}", daemon=True
        )
        for queue in queues
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline_seconds - (time.monotonic() - started)))
    checks = [credentials]
    for queue in queues:
        name = f"{queue.name}_queue"
        checks.append(
            results.get(name)
            or ReadinessCheck(
                name, False, f"no answer within {deadline_seconds:g} s", CHECK_TIMEOUT
            )
        )
    return Readiness(tuple(checks))


class _Flight:
    """One evaluation in progress, which every concurrent probe waits for (with a deadline)."""

    def __init__(self, started: float) -> None:
        self.started = started
        self.done = threading.Event()
        self.result: Readiness | None = None


class ReadinessProbe:
    """Evaluates readiness at most once per ``cache_seconds``, one evaluation at a time.

    The lock only guards the cache and the flight in progress; nobody waits under it.
    """

    def __init__(
        self,
        clients: AwsClients,
        queues: ServiceQueues,
        describe: Callable[[ServiceError], str] = lambda error: error.message,
        cache_seconds: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        deadline_seconds: float = PROBE_DEADLINE_SECONDS,
    ) -> None:
        self._clients = clients
        self._describe = describe
        self._queues = queues
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._deadline = deadline_seconds
        self._lock = threading.Lock()
        self._cached: tuple[float, Readiness] | None = None
        self._flight: _Flight | None = None

    def _evaluate(self, flight: _Flight) -> None:
        try:
            flight.result = check_readiness(
                self._clients, self._queues, self._describe, self._deadline
            )
        finally:
            with self._lock:
                if flight.result is not None:
                    self._cached = (self._clock(), flight.result)
                self._flight = None
            flight.done.set()

    def check(self) -> Readiness:
        """The cached readiness, evaluated again when older than the cache period."""
        with self._lock:
            now = self._clock()
            if self._cached is not None and now - self._cached[0] < self._cache_seconds:
                return self._cached[1]
            flight = self._flight
            leader = flight is None
            if flight is None:
                flight = self._flight = _Flight(time.monotonic())
        if leader:
            # In a thread of its own: a credential provider that hangs must not hold the probe
            # past its deadline; a late result still fills the cache when it comes.
            threading.Thread(
                target=self._evaluate, args=(flight,), name="readyz", daemon=True
            ).start()
        # Never past the deadline (plus a little for the evaluation to write its result).
        remaining = self._deadline + 0.5 - (time.monotonic() - flight.started)
        flight.done.wait(max(0.0, remaining))
        if flight.result is not None:
            return flight.result
        timed_out = tuple(
            ReadinessCheck(name, False, "the check in progress did not finish", CHECK_TIMEOUT)
            for name in ("credentials", *(f"{queue.name}_queue" for queue in self._queues))
        )
        return Readiness(timed_out)
