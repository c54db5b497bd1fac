"""One boto3 session and the clients one service process uses, all from one region, all bounded.

Clients are built once (in the app factory or the CLI) and shared: boto3 clients are thread-safe,
sessions are not, and a client without a region still reaches global STS while SQS fails, so every
client comes from the same session and the same region.

Every AWS call has a deadline (docs/operating.md, "Timeouts and bounds"): a hung or unreachable
endpoint fails an ordinary call within :data:`CALL_DEADLINE_SECONDS`, a long poll within its wait
plus :data:`LONG_POLL_MARGIN_SECONDS`, a readiness check within :data:`PROBE_DEADLINE_SECONDS`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

# Long polls wait up to 20 s (SQS's maximum).
LONG_POLL_MAX_SECONDS = 20

# An ordinary call: connect 1 s, read 3 s, 2 attempts (one retry after at most 1 s of backoff):
# at worst 2 x (1 + 3) + 1 = 9 s against a black hole, 2 x 3 + 1 = 7 s against an endpoint that
# accepts and never answers; SQS and STS answer ordinary calls in milliseconds.
CONNECT_TIMEOUT_SECONDS = 1
READ_TIMEOUT_SECONDS = 3
MAX_ATTEMPTS = 2
CALL_DEADLINE_SECONDS = 10
# A long poll is not retried (a retry would double the wait) and its read timeout is its wait
# plus this margin, so it fails within wait + margin + connect.
LONG_POLL_MARGIN_SECONDS = 3
# A readiness check: one attempt, connect 1 s, read 3 s, so a probe answers within 5 s.
PROBE_CONNECT_SECONDS = 1
PROBE_READ_SECONDS = 3
PROBE_DEADLINE_SECONDS = 5

CLIENT_CONFIG = Config(
    connect_timeout=CONNECT_TIMEOUT_SECONDS,
    read_timeout=READ_TIMEOUT_SECONDS,
    retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
)
PROBE_CONFIG = Config(
    connect_timeout=PROBE_CONNECT_SECONDS,
    read_timeout=PROBE_READ_SECONDS,
    retries={"mode": "standard", "total_max_attempts": 1},
)


def long_poll_config(wait_seconds: int) -> Config:
    """The client config for a receive that waits ``wait_seconds``: one attempt, read wait+margin."""
    if wait_seconds == 0:
        return CLIENT_CONFIG
    return Config(
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=wait_seconds + LONG_POLL_MARGIN_SECONDS,
        retries={"mode": "standard", "total_max_attempts": 1},
    )


def longest_request_seconds() -> float:
    """The longest a request can take against a hung AWS: a confirm's 20 s long poll, then its
    forward, release and delete calls (credential fetches come on top, bounded by botocore)."""
    return worst_case_seconds(long_poll_config(LONG_POLL_MAX_SECONDS)) + 3 * worst_case_seconds(
        CLIENT_CONFIG
    )


def worst_case_seconds(config: Config) -> float:
    """The longest a call with ``config`` can take against a hung endpoint (1 s backoff a retry)."""
    attempts = config.retries["total_max_attempts"]
    return attempts * (config.connect_timeout + config.read_timeout) + (attempts - 1)


@dataclass(frozen=True)
class AwsClients:
    """The session and the clients one service process uses.

    ``sqs`` makes ordinary calls, ``probe_sqs`` the readiness checks; :meth:`sqs_for_wait` gives
    the client for a long poll of a given wait (built on first use, then kept).
    """

    session: boto3.Session
    sqs: Any
    sts: Any
    probe_sqs: Any
    region: str | None = None
    _long_poll: dict[int, Any] = field(default_factory=dict, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def sqs_for_wait(self, wait_seconds: int) -> Any:
        """The SQS client whose read timeout fits a long poll of ``wait_seconds``."""
        if wait_seconds == 0:
            return self.sqs
        client = self._long_poll.get(wait_seconds)
        if client is None:
            with self._lock:
                client = self._long_poll.get(wait_seconds)
                if client is None:
                    client = self.session.client(
                        "sqs", region_name=self.region, config=long_poll_config(wait_seconds)
                    )
                    self._long_poll[wait_seconds] = client
        return client


def build_clients(region: str | None, session: boto3.Session | None = None) -> AwsClients:
    """Build the process's session and clients for ``region`` (the default chain finds credentials).

    ``AWS_ENDPOINT_URL`` in the environment is honoured by botocore itself, which is how the local
    runtime points the unchanged service at moto.
    """
    session = session or boto3.Session(region_name=region)
    return AwsClients(
        session=session,
        sqs=session.client("sqs", region_name=region, config=CLIENT_CONFIG),
        sts=session.client("sts", region_name=region, config=CLIENT_CONFIG),
        probe_sqs=session.client("sqs", region_name=region, config=PROBE_CONFIG),
        region=region,
    )
