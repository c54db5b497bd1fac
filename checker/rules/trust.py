"""Trust policy rules (TP...): only ECS tasks of this account and region may assume the roles."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from checker.arnmatch import ANY, covers
from checker.findings import Severity
from checker.policy import Statement
from checker.rules.base import Hit, rule
from checker.subject import TRUST_POLICY, Subject

ECS_TASKS = "ecs-tasks.amazonaws.com"
ASSUME_ROLE = "sts:AssumeRole"
SOURCE_ACCOUNT = "aws:SourceAccount"
SOURCE_ARN = "aws:SourceArn"
ACCOUNT_OPERATORS = ("StringEquals",)
ARN_OPERATORS = ("ArnLike", "ArnEquals", "StringLike")


def _condition_values(statement: Statement, key: str) -> Iterator[tuple[str, str, list[Any]]]:
    """(operator, path, values) of every test of condition ``key`` (keys ignore case)."""
    for operator, tests in statement.condition.items():
        if not isinstance(tests, dict):
            continue
        for name, value in tests.items():
            if name.lower() == key.lower():
                values = value if isinstance(value, list) else [value]
                yield operator, f"{statement.path}.Condition.{operator}.{name}", values


@rule(
    "TP001",
    Severity.ERROR,
    f"the trust policy does not trust exactly {ECS_TASKS}",
    f'Set "Principal": {{"Service": "{ECS_TASKS}"}}.',
)
def principal_is_ecs_tasks(subject: Subject) -> Iterable[Hit]:
    allows = subject.trust.allows
    if not allows:
        yield Hit(
            TRUST_POLICY, "$.Statement", f"no statement allows {ECS_TASKS} to assume the role"
        )
    for statement in allows:
        principal = statement.raw.get("Principal")
        services = principal.get("Service") if isinstance(principal, dict) else None
        if principal is not None and (
            not isinstance(principal, dict)
            or set(principal) != {"Service"}
            or services not in (ECS_TASKS, [ECS_TASKS])
        ):
            yield Hit(
                TRUST_POLICY,
                f"{statement.path}.Principal",
                f"Principal is {principal!r}: only {ECS_TASKS} should assume a task's role",
            )


@rule(
    "TP002",
    Severity.ERROR,
    f"the trust policy allows more or other than {ASSUME_ROLE}",
    f'Set "Action": "{ASSUME_ROLE}".',
)
def action_is_assume_role(subject: Subject) -> Iterable[Hit]:
    for statement in subject.trust.allows:
        if statement.action != (ASSUME_ROLE,):
            yield Hit(
                TRUST_POLICY,
                f"{statement.path}.Action",
                f"Action is {list(statement.action or ())!r}",
            )


@rule(
    "TP003",
    Severity.ERROR,
    "the trust policy has no aws:SourceAccount condition",
    f'Add "Condition": {{"StringEquals": {{"{SOURCE_ACCOUNT}": "${{AccountId}}"}}}} (confused deputy).',
)
def source_account_condition(subject: Subject) -> Iterable[Hit]:
    for statement in subject.trust.allows:
        tests = list(_condition_values(statement, SOURCE_ACCOUNT))
        if not any(operator in ACCOUNT_OPERATORS for operator, _, _ in tests):
            yield Hit(
                TRUST_POLICY,
                f"{statement.path}.Condition",
                f"{statement.label} has no StringEquals {SOURCE_ACCOUNT}: ECS could be made to assume "
                "the role for a task in another account",
            )


@rule(
    "TP004",
    Severity.ERROR,
    "the trust policy has no aws:SourceArn condition",
    f'Add "ArnLike": {{"{SOURCE_ARN}": "arn:${{Partition}}:ecs:${{Region}}:${{AccountId}}:*"}}.',
)
def source_arn_condition(subject: Subject) -> Iterable[Hit]:
    for statement in subject.trust.allows:
        tests = list(_condition_values(statement, SOURCE_ARN))
        if not any(operator in ARN_OPERATORS for operator, _, _ in tests):
            yield Hit(
                TRUST_POLICY,
                f"{statement.path}.Condition",
                f"{statement.label} has no ArnLike {SOURCE_ARN}: the role is not tied to this "
                "account's and region's ECS resources",
            )


@rule(
    "TP005",
    Severity.ERROR,
    "a confused-deputy condition names another account or region",
    "Use ${AccountId} for aws:SourceAccount and arn:${Partition}:ecs:${Region}:${AccountId}:* for aws:SourceArn.",
)
def conditions_match_deployment(subject: Subject) -> Iterable[Hit]:
    context = subject.context
    ecs_resources = context.arn("ecs", ANY)
    for statement in subject.trust.allows:
        for _, path, values in _condition_values(statement, SOURCE_ACCOUNT):
            for value in values:
                if value != context.account_id:
                    yield Hit(
                        TRUST_POLICY,
                        path,
                        f"{SOURCE_ACCOUNT} is {value!r}, not {context.account_id!r}",
                    )
        for _, path, values in _condition_values(statement, SOURCE_ARN):
            for value in values:
                if not isinstance(value, str) or not covers(ecs_resources, value):
                    yield Hit(
                        TRUST_POLICY, path, f"{SOURCE_ARN} {value!r} is not within {ecs_resources}"
                    )
