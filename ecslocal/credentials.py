"""Role credentials and their rotation: the state behind the credentials endpoint and the agent.

:class:`RotatingCredentials` holds the current temporary credentials of one role and re-issues them
before they expire (ECS rotates task-role credentials the same way). Nothing here speaks HTTP.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

# STS's minimum session; short sessions make botocore fetch on every call (it refreshes < 15 min).
MIN_SESSION_SECONDS = 900
DEFAULT_SESSION_SECONDS = 3600


def utc_now() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def iso_z(moment: datetime) -> str:
    """``moment`` in UTC as ISO 8601 with a ``Z`` suffix (what the SDKs parse reliably)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class RoleCredentials:
    """One set of temporary credentials for a role. ``repr`` never shows the secret parts."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)
    expiration: datetime
    role_arn: str
    issued_at: datetime
    # The assumed-role ARN these credentials act as (arn:...:sts::...:assumed-role/<role>/<session>).
    principal_arn: str = ""

    def __post_init__(self) -> None:
        if self.expiration.tzinfo is None or self.issued_at.tzinfo is None:
            raise ValueError("credential timestamps must be timezone-aware")

    @classmethod
    def from_sts(
        cls, response: dict[str, Any], role_arn: str, issued_at: datetime
    ) -> RoleCredentials:
        """Build from an STS ``AssumeRole`` response."""
        creds = response["Credentials"]
        expiration = creds["Expiration"]
        if expiration.tzinfo is None:
            expiration = expiration.replace(tzinfo=UTC)
        return cls(
            access_key_id=creds["AccessKeyId"],
            secret_access_key=creds["SecretAccessKey"],
            session_token=creds["SessionToken"],
            expiration=expiration.astimezone(UTC),
            role_arn=role_arn,
            issued_at=issued_at,
            principal_arn=str(response.get("AssumedRoleUser", {}).get("Arn", "")),
        )

    @property
    def lifetime(self) -> timedelta:
        return self.expiration - self.issued_at

    def remaining(self, now: datetime) -> timedelta:
        return self.expiration - now

    def container_document(self) -> dict[str, str]:
        """The JSON body ECS's credentials endpoint returns (botocore's container provider reads it)."""
        return {
            "AccessKeyId": self.access_key_id,
            "SecretAccessKey": self.secret_access_key,
            "Token": self.session_token,
            "Expiration": iso_z(self.expiration),
            "RoleArn": self.role_arn,
        }

    def botocore_metadata(self) -> dict[str, str]:
        """The mapping botocore's ``RefreshableCredentials`` refreshes from."""
        return {
            "access_key": self.access_key_id,
            "secret_key": self.secret_access_key,
            "token": self.session_token,
            "expiry_time": self.expiration.isoformat(),
        }

    def masked_key_id(self) -> str:
        """The access key id with all but its last four characters hidden (safe to print)."""
        return f"{'*' * 4}{self.access_key_id[-4:]}"


Issuer = Callable[[], RoleCredentials]


class RotatingCredentials:
    """The current credentials of one role, re-issued once a set has used up ``refresh_fraction``.

    Every read is thread-safe. :meth:`rotate` re-issues at once (tests and operators use it to prove
    the running service picks up new keys).
    """

    def __init__(
        self,
        issue: Issuer,
        *,
        refresh_fraction: float = 0.5,
        clock: Callable[[], datetime] = utc_now,
        on_rotate: Callable[[RoleCredentials, int], None] | None = None,
    ) -> None:
        if not 0 < refresh_fraction <= 1:
            raise ValueError("refresh_fraction must be in (0, 1]")
        self._issue = issue
        self._refresh_fraction = refresh_fraction
        self._clock = clock
        self._on_rotate = on_rotate
        self._lock = threading.Lock()
        self._current: RoleCredentials | None = None
        self._generation = 0

    @property
    def generation(self) -> int:
        """How many sets have been issued so far (1 after the first)."""
        return self._generation

    def _due(self, creds: RoleCredentials) -> bool:
        now = self._clock()
        used = now - creds.issued_at
        return used >= creds.lifetime * self._refresh_fraction or creds.remaining(now) <= timedelta(
            0
        )

    def _replace(self) -> RoleCredentials:
        creds = self._issue()
        self._current = creds
        self._generation += 1
        if self._on_rotate is not None:
            self._on_rotate(creds, self._generation)
        return creds

    def current(self) -> RoleCredentials:
        """The credentials to hand out now, re-issued first when they are due for refresh."""
        with self._lock:
            if self._current is None or self._due(self._current):
                return self._replace()
            return self._current

    def rotate(self) -> RoleCredentials:
        """Issue a new set now, whatever the age of the current one."""
        with self._lock:
            return self._replace()
