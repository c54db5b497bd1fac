"""The errors the deploy tool reports, and the translation of AWS errors into plain words.

Each error maps to one exit status in :mod:`ecsdeploy.cli`: a bad argument exits 2, anything AWS
refused or failed exits 1. No error carries a traceback to the operator.
"""

from __future__ import annotations

import re

from botocore.exceptions import ClientError

EXIT_FAILED = 1
EXIT_USAGE = 2

# IAM action prefixes that differ from the botocore signing name of their service.
_ACTION_PREFIXES = {"tagging": "tag"}
_ACCESS_DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnauthorizedAccess",
        "AuthorizationError",
        "AuthorizationErrorException",
    }
)
# "User: arn:... is not authorized to perform: iam:CreateRole on resource: arn:... because ..."
_DENIED_RE = re.compile(
    r"not authorized to perform:?\s+(?P<action>[A-Za-z0-9-]+:[A-Za-z0-9*]+)"
    r"(?:\s+on resource:?\s+(?P<resource>[^\s,;]+))?"
)


class UsageError(Exception):
    """An argument is missing, malformed or inconsistent; the message names it (exit 2)."""


class DeployError(Exception):
    """AWS refused or failed something, or the account holds something in the way (exit 1)."""


def is_access_denied(exc: ClientError) -> bool:
    """Whether ``exc`` is an authorisation failure (moto may answer 403 with another code)."""
    error = exc.response.get("Error", {})
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    text = f"{error.get('Code', '')} {error.get('Message', '')}"
    return (
        error.get("Code") in _ACCESS_DENIED_CODES
        or error.get("Code") == "403"  # moto's denials may carry the status as their code
        or "not authorized to perform" in text
        or (status == 403 and "AccessDenied" in text)
    )


def error_code(exc: ClientError) -> str:
    """The AWS error code of ``exc`` (empty when AWS gave none)."""
    return str(exc.response.get("Error", {}).get("Code", ""))


def missing_permission(
    exc: ClientError, service_name: str | None, resource: str | None
) -> tuple[str, str]:
    """The IAM action and resource an AccessDenied error is about.

    AWS names both in the message; when it does not (moto leaves the resource out), the action is
    derived from the failed operation and the resource is the one the step was acting on.
    """
    message = str(exc.response.get("Error", {}).get("Message", ""))
    match = _DENIED_RE.search(message)
    action = match["action"] if match else ""
    if not action:
        prefix = _ACTION_PREFIXES.get(service_name or "", service_name or "unknown")
        action = f"{prefix}:{exc.operation_name}"
    denied_resource = (match["resource"] if match else None) or resource or "*"
    return action, denied_resource


def describe_client_error(
    exc: ClientError, service_name: str | None = None, resource: str | None = None
) -> str:
    """One line saying what AWS refused: the missing permission for AccessDenied, else the error."""
    if is_access_denied(exc):
        action, denied = missing_permission(exc, service_name, resource)
        return (
            f"missing permission {action} on {denied}: the credentials in use are not allowed "
            f"to call {exc.operation_name}; grant {action} on that resource and run again"
        )
    error = exc.response.get("Error", {})
    where = f" ({resource})" if resource else ""
    return f"{exc.operation_name}{where} failed: {error.get('Code', 'error')}: {error.get('Message', '')}".rstrip(
        ": "
    )
