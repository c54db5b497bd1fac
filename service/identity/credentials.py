"""Plain facts about the credentials boto3 resolved: where they came from, their key, their expiry.

Nothing here keeps a secret access key or a session token: only the method botocore recorded, the
masked access key id and the expiry time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from service.botocompat import credentials_expiry

CONTAINER_ROLE = "container-role"
INSTANCE_ROLE = "iam-role"
ENV = "env"

RELATIVE_URI_VAR = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
FULL_URI_VAR = "AWS_CONTAINER_CREDENTIALS_FULL_URI"

# botocore's ``Credentials.method`` values (one per provider in its chain), in plain words.
SOURCE_DESCRIPTIONS: Mapping[str, str] = {
    ENV: "static keys from the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY environment variables",
    "explicit": "keys passed to the boto3 session in code",
    "assume-role": "a role assumed with sts:AssumeRole, set by role_arn in the AWS config profile",
    "assume-role-with-web-identity": (
        "a role assumed with a web identity token (AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE)"
    ),
    "sso": "IAM Identity Center (SSO) credentials from the token cached by `aws sso login`",
    "login": "console credentials from the session cached by `aws login`",
    "shared-credentials-file": (
        "keys from the shared credentials file (AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials)"
    ),
    "custom-process": "credentials printed by the credential_process command of the AWS profile",
    "config-file": "keys from the AWS config file (AWS_CONFIG_FILE or ~/.aws/config)",
    "ec2-credentials-file": "keys from the legacy EC2 credentials file (AWS_CREDENTIAL_FILE)",
    "boto-config": "keys from a legacy boto2 config file (/etc/boto.cfg or ~/.boto)",
    CONTAINER_ROLE: "the ECS task role, from the container credentials endpoint",
    INSTANCE_ROLE: "the EC2 instance profile role, from the instance metadata service (IMDS)",
}

_MASK = "****"


def describe_source(method: str | None) -> str:
    """A plain-words description of a botocore credential method."""
    if method is None:
        return "unknown: botocore did not record where the credentials came from"
    return SOURCE_DESCRIPTIONS.get(method, f"the credential provider {method!r}")


def mask_access_key_id(access_key_id: str | None) -> str | None:
    """Show at most the first 4 and last 4 characters, and never more than half of the key."""
    if not access_key_id:
        return None
    shown = min(4, len(access_key_id) // 4)
    if shown == 0:
        return _MASK
    return f"{access_key_id[:shown]}{_MASK}{access_key_id[-shown:]}"


def container_endpoint_variable(environ: Mapping[str, str]) -> str | None:
    """The variable botocore's container provider reads: the relative URI wins over the full URI."""
    if RELATIVE_URI_VAR in environ:
        return RELATIVE_URI_VAR
    if FULL_URI_VAR in environ:
        return FULL_URI_VAR
    return None


def iso_utc(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z``, to the second."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class CredentialFacts:
    """What the report says about the credentials; computed afresh for every report."""

    source: str | None
    description: str
    access_key_id: str | None  # masked
    expires_at: datetime | None  # None: the credentials do not expire
    expires_in_seconds: int | None
    container_endpoint: str | None  # the variable name that located the endpoint, never its token


def describe_credentials(
    credentials: object, access_key_id: str | None, environ: Mapping[str, str], now: datetime
) -> CredentialFacts:
    """Facts about resolved botocore ``credentials`` whose current key id is ``access_key_id``."""
    method = getattr(credentials, "method", None)
    expires_at = credentials_expiry(credentials)
    seconds_left = None
    if expires_at is not None:
        seconds_left = max(0, int((expires_at - now).total_seconds()))
    return CredentialFacts(
        source=method,
        description=describe_source(method),
        access_key_id=mask_access_key_id(access_key_id),
        expires_at=expires_at,
        expires_in_seconds=seconds_left,
        container_endpoint=(
            container_endpoint_variable(environ) if method == CONTAINER_ROLE else None
        ),
    )
