"""What one service process builds once at start-up and every request shares."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from service.aws import AwsClients
from service.config import Settings
from service.identity import CredentialChecker
from service.queues import ServiceQueues
from service.readiness import ReadinessProbe

EXTENSION = "courier"
# The thread that logs the identity at start-up (tests wait for it).
IDENTITY_AT_START = "courier.identity_at_start"


@dataclass(frozen=True)
class ServiceState:
    """Settings, clients, queues, the credential checker and the readiness probe of the process."""

    settings: Settings
    clients: AwsClients
    queues: ServiceQueues
    checker: CredentialChecker
    readiness: ReadinessProbe


def current_state() -> ServiceState:
    """The state of the app handling the current request."""
    return current_app.extensions[EXTENSION]
