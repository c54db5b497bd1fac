"""One boto3 session and one client per AWS service per process, all from one region.

Clients are built once (in the app factory or the CLI) and shared: boto3 clients are thread-safe,
sessions are not, and a client without a region still reaches global STS while SQS fails, so every
client comes from the same session and the same region.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

# Long polls wait up to 20 s; the read timeout must outlast them or every empty poll is an error.
LONG_POLL_MAX_SECONDS = 20
CLIENT_CONFIG = Config(
    connect_timeout=5,
    read_timeout=LONG_POLL_MAX_SECONDS + 10,
    retries={"mode": "standard", "max_attempts": 3},
)


@dataclass(frozen=True)
class AwsClients:
    """The session and the clients one service process uses."""

    session: boto3.Session
    sqs: Any
    sts: Any


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
    )
