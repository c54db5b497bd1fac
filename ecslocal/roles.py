"""Assuming roles for the task, and boto3 sessions that run on rotating role credentials."""

from __future__ import annotations

from typing import Any

import boto3
import botocore.session
from botocore.credentials import CredentialProvider, CredentialResolver, RefreshableCredentials

from ecslocal.credentials import Issuer, RoleCredentials, RotatingCredentials, utc_now


def role_issuer(sts_client: Any, role_arn: str, session_name: str, duration_seconds: int) -> Issuer:
    """A callable that assumes ``role_arn`` (as ECS does for a task: session name = task id)."""

    def issue() -> RoleCredentials:
        issued_at = utc_now()
        response = sts_client.assume_role(
            RoleArn=role_arn, RoleSessionName=session_name, DurationSeconds=duration_seconds
        )
        return RoleCredentials.from_sts(response, role_arn=role_arn, issued_at=issued_at)

    return issue


class _RotatingProvider(CredentialProvider):
    METHOD = "ecslocal-role"

    def __init__(self, rotating: RotatingCredentials) -> None:
        super().__init__()
        self._rotating = rotating

    def load(self) -> RefreshableCredentials:
        def refresh() -> dict[str, str]:
            return self._rotating.current().botocore_metadata()

        return RefreshableCredentials.create_from_metadata(
            metadata=refresh(), refresh_using=refresh, method=self.METHOD
        )


def role_session(rotating: RotatingCredentials, region: str) -> boto3.Session:
    """A boto3 session whose only credentials are ``rotating`` (refreshed as they near expiry)."""
    core = botocore.session.Session()
    core.register_component(
        "credential_provider", CredentialResolver([_RotatingProvider(rotating)])
    )
    return boto3.Session(botocore_session=core, region_name=region)
