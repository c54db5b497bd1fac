"""The warnings of the identity report, one small rule each.

A rule has a stable code, a severity and the fix text; its ``detect`` function looks at one
:class:`Snapshot` and returns what is wrong (or None). The checker runs :data:`WARNING_RULES`, the list at
the end of this module, in order: the order of that list is the order of the report. Adding a
warning is adding one rule here, listing it, and its test.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from service.identity.credentials import CONTAINER_ROLE, INSTANCE_ROLE, RELATIVE_URI_VAR
from service.identity.model import ERROR, SEVERITIES, WARNING, IdentityWarning, Snapshot
from service.identity.principal import ROOT

# Under this many seconds left, the credentials are about to expire (botocore itself refreshes
# container and instance credentials 15 to 10 minutes ahead).
EXPIRING_SECONDS = 5 * 60

Detector = Callable[[Snapshot], "str | None"]


@dataclass(frozen=True)
class WarningRule:
    """A warning: ``detect`` states the problem, ``fix`` says what to do about it."""

    code: str
    severity: str
    fix: str
    detect: Detector

    def check(self, snapshot: Snapshot) -> IdentityWarning | None:
        """The finding for ``snapshot``, or None when the rule does not apply."""
        problem = self.detect(snapshot)
        if problem is None:
            return None
        return IdentityWarning(self.code, self.severity, f"{problem} {self.fix}")


def rule(code: str, severity: str, fix: str) -> Callable[[Detector], WarningRule]:
    """Make the decorated detector the :class:`WarningRule` ``code``; it runs once listed in :data:`WARNING_RULES`."""
    if severity not in SEVERITIES:
        raise ValueError(f"rule {code}: severity {severity!r} is not one of {SEVERITIES}")

    def make(detect: Detector) -> WarningRule:
        return WarningRule(code, severity, fix, detect)

    return make


def collect_warnings(
    snapshot: Snapshot, rules: Sequence[WarningRule] | None = None
) -> tuple[IdentityWarning, ...]:
    """Run every rule of :data:`WARNING_RULES` (or ``rules``) on ``snapshot``; the findings in list order."""
    findings = (r.check(snapshot) for r in (WARNING_RULES if rules is None else rules))
    return tuple(finding for finding in findings if finding is not None)


def _source(s: Snapshot) -> str | None:
    return s.credentials.source if s.credentials else None


def _runs_as(s: Snapshot) -> str:
    assert s.identity is not None
    return f"{s.identity.principal.describe()} ({s.identity.arn})"


@rule(
    "STATIC_KEYS_SHADOW_TASK_ROLE",
    ERROR,
    "Remove AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN from the task "
    "definition's environment and secrets; the task role needs no keys.",
)
def static_keys_shadow_task_role(s: Snapshot) -> str | None:
    env = s.environment
    if not (env.static_keys and env.container_endpoint):
        return None
    return (
        f"{' and '.join(env.static_keys)} are set in the environment while "
        f"{env.container_endpoint} points at the task role: boto3 takes environment keys first, "
        "so the task role is never used."
    )


@rule(
    "NO_TASK_ROLE",
    ERROR,
    "Set taskRoleArn in the task definition to the service's task role; ECS then sets "
    f"{RELATIVE_URI_VAR} in the container.",
)
def no_task_role(s: Snapshot) -> str | None:
    env = s.environment
    if not env.on_ecs or env.container_endpoint:
        return None
    return "The process runs on ECS but no container credentials variable is set: the task has no task role."


@rule(
    "NOT_USING_TASK_ROLE",
    ERROR,
    "On ECS the service must run with the task role (source container-role): remove other "
    "credentials (keys, profiles, credentials files) from the image and the task definition.",
)
def not_using_task_role(s: Snapshot) -> str | None:
    source = _source(s)
    if not s.environment.on_ecs or source is None or source == CONTAINER_ROLE:
        return None
    return f"The process runs on ECS but its credentials come from {source!r}, not the task role."


@rule(
    "INSTANCE_ROLE_FALLBACK",
    ERROR,
    "Give the task its own role (taskRoleArn); every task on the host shares the instance role. "
    "Block task access to IMDS (ECS_AWSVPC_BLOCK_IMDS or an IMDSv2 hop limit of 1).",
)
def instance_role_fallback(s: Snapshot) -> str | None:
    if _source(s) != INSTANCE_ROLE or not s.environment.on_ecs:
        return None
    return "The credentials come from the EC2 instance profile (IMDS), not from a task role."


@rule(
    "ROLE_MISMATCH",
    ERROR,
    "Check taskRoleArn in the task definition (or correct EXPECTED_TASK_ROLE_NAME).",
)
def role_mismatch(s: Snapshot) -> str | None:
    expected = s.expectations.expected_task_role_name
    if not expected or s.identity is None:
        return None
    role = s.identity.principal.role_name
    if role is not None and role.casefold() == expected.casefold():
        return None
    return f"The process runs as {_runs_as(s)}, but EXPECTED_TASK_ROLE_NAME is {expected!r}."


@rule(
    "EXECUTION_ROLE_IN_USE",
    ERROR,
    "The execution role is for the ECS agent (image pull, logs, secrets): set taskRoleArn to the "
    "task role, a different role that grants only what the application calls.",
)
def execution_role_in_use(s: Snapshot) -> str | None:
    execution_role = s.expectations.execution_role_name
    if not execution_role or s.identity is None:
        return None
    role = s.identity.principal.role_name
    if role is None or role.casefold() != execution_role.casefold():
        return None
    return f"The process runs as the execution role {role!r} (EXECUTION_ROLE_NAME)."


@rule(
    "ROOT_CREDENTIALS",
    ERROR,
    "Delete the root user's access keys and run the service with the task role.",
)
def root_credentials(s: Snapshot) -> str | None:
    if s.identity is None or s.identity.principal.type != ROOT:
        return None
    return f"The process runs as the root user of account {s.identity.account}."


@rule(
    "REGION_MISSING",
    ERROR,
    "Set AWS_REGION (on ECS, in the task definition's environment) to the queues' region.",
)
def region_missing(s: Snapshot) -> str | None:
    if s.region:
        return None
    return "No AWS region is configured: STS answers on its global endpoint, but SQS calls fail."


@rule(
    "REGION_MISMATCH",
    ERROR,
    "Set AWS_REGION to the queues' region, or use the queue URLs of the configured region.",
)
def region_mismatch(s: Snapshot) -> str | None:
    if not s.region:
        return None
    wrong = [
        f"{var} is in {region}"
        for var, region in s.expectations.queue_regions
        if region != s.region
    ]
    if not wrong:
        return None
    return f"{'; '.join(wrong)}, but the AWS clients use {s.region}."


@rule(
    "CREDENTIALS_EXPIRING",
    WARNING,
    "botocore refreshes them 15 to 10 minutes before expiry, so they are short-lived or the "
    "refresh fails: check the credentials source (and the clock), or renew them.",
)
def credentials_expiring(s: Snapshot) -> str | None:
    creds = s.credentials
    if creds is None or creds.expires_in_seconds is None:
        return None
    if creds.expires_in_seconds >= EXPIRING_SECONDS:
        return None
    if creds.expires_in_seconds <= 0:
        return "The credentials have expired."
    return f"The credentials expire in {creds.expires_in_seconds} s."


@rule(
    "PROFILE_ON_ECS",
    WARNING,
    "Remove AWS_PROFILE / AWS_DEFAULT_PROFILE from the task definition: boto3 then reads that "
    "profile from ~/.aws files before it asks for the task role (and fails if it is missing).",
)
def profile_on_ecs(s: Snapshot) -> str | None:
    if not s.environment.on_ecs or not s.environment.profile:
        return None
    return f"The AWS profile {s.environment.profile!r} is selected inside an ECS task."


@rule(
    "ECS_METADATA_UNAVAILABLE",
    WARNING,
    "ECS sets ECS_CONTAINER_METADATA_URI_V4 itself; if it was set by hand, remove it. Otherwise "
    "check that the container can reach the endpoint (the ecs field stays null meanwhile).",
)
def ecs_metadata_unavailable(s: Snapshot) -> str | None:
    if not s.environment.metadata_uri or s.ecs_error is None:
        return None
    return f"The ECS task metadata endpoint could not be read: {s.ecs_error}."


# Every warning, in report order: first whose credentials are used and whether they are the task
# role's, then the region, then what is fragile but works today.
WARNING_RULES: tuple[WarningRule, ...] = (
    static_keys_shadow_task_role,
    no_task_role,
    not_using_task_role,
    instance_role_fallback,
    role_mismatch,
    execution_role_in_use,
    root_credentials,
    region_missing,
    region_mismatch,
    credentials_expiring,
    profile_on_ecs,
    ecs_metadata_unavailable,
)
