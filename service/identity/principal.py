"""Who a caller-identity ARN names: an assumed role, an IAM user, the root user or a federated user.

botocore's ``ArnParser`` only splits on colons and accepts any text, so the few shapes STS returns
are matched here; anything else is reported as ``unknown`` instead of failing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ASSUMED_ROLE = "assumed-role"
USER = "user"
ROOT = "root"
FEDERATED_USER = "federated-user"
UNKNOWN = "unknown"

_ARN_RE = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):(?P<service>iam|sts)::(?P<account>\d{12}):(?P<resource>.+)"
)
_ASSUMED_ROLE_RE = re.compile(r"^assumed-role/(?P<role>[^/]+)/(?P<session>[^/]+)")
_USER_RE = re.compile(r"^user/(?:[^/]+/)*(?P<name>[^/]+)")
_FEDERATED_USER_RE = re.compile(r"^federated-user/(?P<name>[^/]+)")


@dataclass(frozen=True)
class Principal:
    """The kind of principal an ARN names, and its names where the ARN carries them."""

    type: str
    name: str | None = None  # role name, user name or federated user name
    session_name: str | None = None  # assumed roles only

    @property
    def role_name(self) -> str | None:
        """The role name for an assumed role, else None."""
        return self.name if self.type == ASSUMED_ROLE else None

    def describe(self) -> str:
        """The principal in a few words, e.g. ``role courier-dev-task``."""
        if self.type == ASSUMED_ROLE:
            return f"role {self.name}"
        if self.type == USER:
            return f"IAM user {self.name}"
        if self.type == ROOT:
            return "the account's root user"
        if self.type == FEDERATED_USER:
            return f"federated user {self.name}"
        return "an unrecognised principal"


def parse_principal(arn: str) -> Principal:
    """Parse the ARN ``sts:GetCallerIdentity`` returns; never raises."""
    match = _ARN_RE.fullmatch(arn or "")
    if not match:
        return Principal(UNKNOWN)
    resource = match["resource"]
    if resource == "root":
        return Principal(ROOT)
    if assumed := _ASSUMED_ROLE_RE.fullmatch(resource):
        return Principal(ASSUMED_ROLE, assumed["role"], assumed["session"])
    if user := _USER_RE.fullmatch(resource):
        return Principal(USER, user["name"])
    if federated := _FEDERATED_USER_RE.fullmatch(resource):
        return Principal(FEDERATED_USER, federated["name"])
    return Principal(UNKNOWN)
