"""The runtime credential checker: which identity this process holds, and is it the right one.

``sts:GetCallerIdentity`` is called once per credential set: the answer is kept until the access
key id changes (botocore refreshes temporary credentials lazily and hands out a new key). Expiry,
environment facts and warnings are recomputed for every report without any AWS call.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from service.aws import AwsClients
from service.awscalls import ALWAYS_ALLOWED, calls
from service.errors import CredentialsUnavailable, IdentityUnavailable
from service.identity.credentials import describe_credentials
from service.identity.ecs import TaskMetadata
from service.identity.environment import EnvironmentFacts
from service.identity.model import (
    CallerIdentity,
    Expectations,
    IdentityReport,
    IdentityWarning,
    Snapshot,
)
from service.identity.principal import parse_principal
from service.identity.rules import collect_warnings

NO_CREDENTIALS_MESSAGE = (
    "boto3 found no AWS credentials: not in the environment, the shared credentials and config "
    "files, the container credentials endpoint (AWS_CONTAINER_CREDENTIALS_*), nor the instance "
    "metadata service. On ECS, set taskRoleArn in the task definition."
)
# Variables whose values must never appear in a message, even if a library echoes them.
_SECRET_VARS = (
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
)


@calls("sts:GetCallerIdentity", on=ALWAYS_ALLOWED)
def get_caller_identity(sts_client: object) -> CallerIdentity:
    """Ask STS who the client's credentials belong to."""
    response = sts_client.get_caller_identity()  # type: ignore[attr-defined]
    return CallerIdentity(
        account=response["Account"],
        arn=response["Arn"],
        user_id=response["UserId"],
        principal=parse_principal(response["Arn"]),
    )


def redact(text: str, secrets: list[str | None]) -> str:
    """``text`` with every non-empty secret replaced."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text


def describe_error(error: object) -> str:
    """``Type: text`` for exceptions whose text alone says little (a KeyError is just the key)."""
    if isinstance(error, BaseException) and not isinstance(error, BotoCoreError):
        return f"{type(error).__name__}: {error}"
    return str(error)


def redact_environment(error: object, environ: Mapping[str, str]) -> str:
    """The text of ``error`` without the values of the environment's secret variables."""
    return redact(describe_error(error), [environ.get(var) for var in _SECRET_VARS])


def client_region(clients: AwsClients) -> str | None:
    """The region the service's clients use (SQS is the one that needs it)."""
    sqs_meta = getattr(clients.sqs, "meta", None)
    return getattr(sqs_meta, "region_name", None) or clients.session.region_name or None


def diagnose_without_credentials(
    expectations: Expectations,
    environ: Mapping[str, str],
    region: str | None,
    task_metadata: TaskMetadata | None = None,
) -> tuple[IdentityWarning, ...]:
    """The warnings that still apply when no identity could be determined."""
    environment = EnvironmentFacts.from_environ(environ)
    lookup = (task_metadata or TaskMetadata(environment.metadata_uri)).lookup()
    return collect_warnings(
        Snapshot(
            environment=environment,
            expectations=expectations,
            region=region,
            ecs=lookup.task,
            ecs_error=lookup.error,
        )
    )


class CredentialChecker:
    """Builds identity reports for one process; thread-safe, one instance per process."""

    def __init__(
        self,
        clients: AwsClients,
        expectations: Expectations,
        environ: Mapping[str, str] | None = None,
        *,
        task_metadata: TaskMetadata | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._clients = clients
        self._expectations = expectations
        self._environ = os.environ if environ is None else environ
        self._clock = clock
        self._task_metadata = task_metadata or TaskMetadata(
            EnvironmentFacts.from_environ(self._environ).metadata_uri
        )
        self._lock = threading.Lock()  # guards the last report
        self._credentials_lock = threading.Lock()  # botocore sessions resolve without a lock
        self._identity_lock = threading.Lock()  # one STS call at a time, shared by waiters
        self._identity_key: str | None = None
        self._identity: CallerIdentity | None = None
        self._last_report: IdentityReport | None = None

    def report(self, *, refresh: bool = False) -> IdentityReport:
        """The identity report; STS is asked only for a new access key (or with ``refresh``).

        Raises :class:`CredentialsUnavailable` when the chain finds no usable credentials and
        :class:`IdentityUnavailable` when STS cannot be reached or rejects them.
        """
        lookup = self._task_metadata.lookup()
        snapshot = Snapshot(
            environment=EnvironmentFacts.from_environ(self._environ),
            expectations=self._expectations,
            region=client_region(self._clients),
            ecs=lookup.task,
            ecs_error=lookup.error,
        )
        credentials = self._resolve_credentials(snapshot)
        try:
            # Refreshes expiring temporary credentials first, so the key id is the current one.
            frozen = credentials.get_frozen_credentials()
        except Exception as exc:  # botocore's refresh raises whatever its fetcher raised
            raise IdentityUnavailable(
                f"The credentials could not be refreshed: {self._safe(exc)}",
                collect_warnings(snapshot),
            ) from None
        facts = describe_credentials(credentials, frozen.access_key, self._environ, self._clock())
        snapshot = replace(snapshot, credentials=facts)
        identity = self._identity_for(frozen, refresh, snapshot)
        snapshot = replace(snapshot, identity=identity)
        report = IdentityReport(
            account=identity.account,
            arn=identity.arn,
            user_id=identity.user_id,
            principal=identity.principal,
            region=snapshot.region,
            credentials=facts,
            ecs=snapshot.ecs,
            warnings=collect_warnings(snapshot),
        )
        with self._lock:
            self._last_report = report
        return report

    def last_report(self) -> IdentityReport | None:
        """The most recent report, without any AWS call; None before the first one."""
        with self._lock:
            return self._last_report

    def _resolve_credentials(self, snapshot: Snapshot) -> Any:
        try:
            with self._credentials_lock:
                credentials = self._clients.session.get_credentials()
        except Exception as exc:  # providers raise more than BotoCoreError (ValueError, KeyError)
            raise CredentialsUnavailable(
                f"The AWS credentials could not be loaded: {self._safe(exc)}",
                collect_warnings(snapshot),
            ) from None
        if credentials is None:
            raise CredentialsUnavailable(NO_CREDENTIALS_MESSAGE, collect_warnings(snapshot))
        return credentials

    def _identity_for(self, frozen: Any, refresh: bool, snapshot: Snapshot) -> CallerIdentity:
        # The check and the call share one lock: concurrent first requests wait for one answer.
        with self._identity_lock:
            if (
                not refresh
                and self._identity is not None
                and self._identity_key == frozen.access_key
            ):
                return self._identity
            try:
                identity = get_caller_identity(self._clients.sts)
            except ClientError as exc:
                error = exc.response.get("Error", {})
                detail = f"{error.get('Code', 'error')}: {error.get('Message', '')}"
                raise IdentityUnavailable(
                    f"STS rejected the credentials: {self._safe(detail, frozen)}",
                    collect_warnings(snapshot),
                ) from None
            except Exception as exc:  # includes a failed refresh while the request is signed
                raise IdentityUnavailable(
                    f"STS could not be reached: {self._safe(exc, frozen)}",
                    collect_warnings(snapshot),
                ) from None
            self._identity, self._identity_key = identity, frozen.access_key
            return identity

    def _safe(self, error: object, frozen: Any = None) -> str:
        text = redact_environment(error, self._environ)
        return text if frozen is None else redact(text, [frozen.secret_key, frozen.token])
