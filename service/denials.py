"""Word an AWS denial so the reader knows which role lacks which action, and what to change.

The principal comes from the credential checker's last report (no AWS call), or else from the
denial message itself; comparing it with the configured role names tells the task role from the
execution role, the classic mix-up.
"""

from __future__ import annotations

from service.config import Settings
from service.errors import AccessDenied
from service.identity import IdentityReport
from service.identity.principal import ASSUMED_ROLE, Principal, parse_principal

TASK_POLICY_FILE = "policies/task-role-policy.json"


def denied_principal(error: AccessDenied, report: IdentityReport | None) -> Principal | None:
    """Who was denied: the checker's last known identity, else the ARN the denial names."""
    if report is not None:
        return report.principal
    if error.principal_arn:
        return parse_principal(error.principal_arn)
    return None


def describe_denial(error: AccessDenied, settings: Settings, report: IdentityReport | None) -> str:
    """E.g. ``the task role courier-dev-task lacks sqs:DeleteMessage on arn:...; grant it ...``."""
    lacks = f"lacks {error.action} on {error.resource}"
    principal = denied_principal(error, report)
    if principal is None:
        return (
            f"the service's credentials {lacks} (their identity is not known yet: see /whoami); "
            f"the task role needs it in {TASK_POLICY_FILE}"
        )
    if principal.type == ASSUMED_ROLE:
        role = principal.name
        if settings.execution_role_name and role == settings.execution_role_name:
            return (
                f"the execution role {role} {lacks}: this process holds the execution role's "
                "credentials instead of the task role's; set taskRoleArn in the task definition "
                "(the execution role is only for pulling the image, logs and secrets)"
            )
        expected = settings.expected_task_role_name
        if expected and role != expected:
            return (
                f"the role {role} {lacks}, and it is not the expected task role {expected}: "
                "check taskRoleArn in the task definition"
            )
        return f"the task role {role} {lacks}: grant {error.action} in {TASK_POLICY_FILE}"
    return (
        f"the {principal.describe()} {lacks}: the service should run with its task role, "
        f"which grants it in {TASK_POLICY_FILE}"
    )
