"""Role rules: the execution role covers the task definition (EX...), the task role covers the
service's declared calls and nothing else (TR...), and neither does the other's job (SD...)."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator

from checker import iamdb
from checker.findings import Severity
from checker.grants import ExtraAction, Gap, extra_actions, wide_resources
from checker.needs import (
    AGENT_SERVICES,
    ECR_PULL,
    ECR_TOKEN,
    KMS_DECRYPT,
    LOGS_CREATE_GROUP,
    LOGS_WRITE,
    SECRETS_MANAGER_READ,
    SSM_READ,
    UNAUTHORISED_ACTIONS,
    Need,
    scope_resources,
)
from checker.policy import Policy
from checker.rules.base import Hit, rule
from checker.subject import EXECUTION_POLICY, TASK_POLICY, Subject
from service.awscalls import ALWAYS_ALLOWED, AwsCall

EX, TR = EXECUTION_POLICY, TASK_POLICY
SSM_READ_SINGULAR = "ssm:GetParameter"
SQS_RECEIVE = "sqs:ReceiveMessage"
SQS_DELETE = "sqs:DeleteMessage"


def _shown(pattern: str, actions: tuple[str, ...]) -> str:
    """``pattern``, and what it expands to when that is not just itself."""
    if actions == (pattern,) or (len(actions) == 1 and actions[0].lower() == pattern.lower()):
        return actions[0]
    more = f" and {len(actions) - 5} more" if len(actions) > 5 else ""
    return f"{pattern} ({', '.join(actions[:5])}{more})"


def _unneeded(
    policy: Policy, needs: Iterable[Need], *, agent: bool
) -> Iterator[tuple[ExtraAction, tuple[str, ...]]]:
    """Action entries granting what no need calls for, with those of the ECS agent's services
    (``agent``) or of the application's, so the two kinds get their own finding codes."""
    for extra in extra_actions(policy, needs):
        picked = tuple(
            a for a in extra.actions if (a.split(":", 1)[0].lower() in AGENT_SERVICES) is agent
        )
        if picked:
            yield extra, picked


def _gaps(subject: Subject, actions: Iterable[str]) -> Iterable[Hit]:
    wanted = {action.lower() for action in actions}
    for gap in subject.execution_gaps:
        if gap.need.action.lower() in wanted:
            yield Hit(EX, "$.Statement", gap.describe())


# -- execution role ------------------------------------------------------------------------------
@rule(
    "EX001",
    Severity.ERROR,
    "the execution role cannot read a secret the task definition names",
    'Allow "ssm:GetParameters" on ${ParameterPathArn}* (or "secretsmanager:GetSecretValue" on the secret).',
)
def secrets_readable(subject: Subject) -> Iterable[Hit]:
    for gap in subject.execution_gaps:
        action = gap.need.action
        if action not in (SSM_READ, SECRETS_MANAGER_READ):
            continue
        if (
            action == SSM_READ
            and subject.execution.decide(SSM_READ_SINGULAR, gap.need.resources).allowed
        ):
            continue  # EX002 explains this one
        yield Hit(
            EX, "$.Statement", f"{gap.describe()}: the task fails with ResourceInitializationError"
        )


@rule(
    "EX002",
    Severity.ERROR,
    "ssm:GetParameter granted where ECS calls ssm:GetParameters",
    'Grant "ssm:GetParameters" (plural): ECS resolves all of a task\'s secrets in one GetParameters call.',
)
def ssm_plural(subject: Subject) -> Iterable[Hit]:
    for gap in subject.execution_gaps:
        if (
            gap.need.action == SSM_READ
            and subject.execution.decide(SSM_READ_SINGULAR, gap.need.resources).allowed
        ):
            yield Hit(
                EX,
                "$.Statement",
                f"{SSM_READ_SINGULAR} is granted on {gap.need.resources[0]} but ECS calls {SSM_READ}: the "
                f"task fails with 'not authorized to perform: {SSM_READ}' ({gap.need.source})",
            )


@rule(
    "EX003",
    Severity.ERROR,
    "the execution role cannot decrypt the parameters' KMS key",
    'Allow "kms:Decrypt" on ${ParameterKeyArn} only.',
)
def parameter_key_decrypt(subject: Subject) -> Iterable[Hit]:
    yield from _gaps(subject, [KMS_DECRYPT])


@rule(
    "EX004",
    Severity.ERROR,
    "the execution role cannot write the awslogs group",
    'Allow "logs:CreateLogStream" and "logs:PutLogEvents" on ${LogGroupArn}:* (and logs:CreateLogGroup '
    "only with awslogs-create-group).",
)
def awslogs_writable(subject: Subject) -> Iterable[Hit]:
    yield from _gaps(subject, [*LOGS_WRITE, LOGS_CREATE_GROUP])


@rule(
    "EX005",
    Severity.ERROR,
    "the execution role cannot pull the ECR image",
    'Allow "ecr:GetAuthorizationToken" on "*" and the three layer/image actions on ${EcrRepositoryArn}.',
)
def ecr_pullable(subject: Subject) -> Iterable[Hit]:
    yield from _gaps(subject, [ECR_TOKEN, *ECR_PULL])


@rule(
    "EX006",
    Severity.ERROR,
    "the execution role grants an action the task definition does not need",
    "Remove the action: the ECS agent only pulls the image, reads the named secrets and writes logs.",
)
def execution_extra_actions(subject: Subject) -> Iterable[Hit]:
    for extra, agent in _unneeded(subject.execution, subject.execution_needs, agent=True):
        yield Hit(
            EX,
            extra.path,
            f"{_shown(extra.pattern, agent)}: nothing in the task definition needs it",
        )


@rule(
    "EX007",
    Severity.ERROR,
    "the execution role grants on resources the task definition does not use",
    "Narrow the Resource to the service's own log group, parameter path, key and repository.",
)
def execution_wide_resources(subject: Subject) -> Iterable[Hit]:
    for wide in wide_resources(subject.execution, subject.execution_needs):
        yield Hit(
            EX,
            wide.path,
            f"{wide.resource} reaches beyond what {', '.join(wide.actions)} needs (at most {', '.join(wide.allowed)})",
        )


# -- task role -----------------------------------------------------------------------------------
@rule(
    "TR001",
    Severity.ERROR,
    "the task role does not allow a call the service makes",
    "Allow the action on the resources its scope names (the service declares each call next to its code).",
)
def declared_calls_granted(subject: Subject) -> Iterable[Hit]:
    missing: dict[str, list[Gap]] = {}
    for gap in subject.task_gaps:
        if iamdb.lookup(gap.need.action) is not None:  # an unknown action is TR005's finding
            missing.setdefault(gap.need.action, []).append(gap)
    for action, action_gaps in missing.items():
        resources = sorted({r for gap in action_gaps for r in gap.need.resources})
        callers = sorted({gap.need.source for gap in action_gaps})
        denied = sorted(
            {gap.decision.denied_by.label for gap in action_gaps if gap.decision.denied_by}
        )
        yield Hit(
            TR,
            "$.Statement",
            f"{action} is not allowed on {', '.join(resources)}, but {', '.join(callers)} calls it"
            + (f"; denied by {', '.join(denied)}" if denied else ""),
        )


@rule(
    "TR002",
    Severity.ERROR,
    "a queue can be received from but not deleted from",
    f'Allow "{SQS_DELETE}" wherever "{SQS_RECEIVE}" is allowed.',
)
def receive_with_delete(subject: Subject) -> Iterable[Hit]:
    for statement in subject.task.allows:
        if not statement.names_action(SQS_RECEIVE):
            continue
        for path, resource in statement.entries("Resource"):
            if not subject.task.decide(SQS_DELETE, (resource,)).allowed:
                yield Hit(
                    TR,
                    path,
                    f"{SQS_RECEIVE} without {SQS_DELETE} on {resource}: every message comes back after "
                    "its visibility timeout and is processed again",
                )


@rule(
    "TR003",
    Severity.ERROR,
    "the task role grants an action the service does not call",
    "Remove the action, or declare the call next to the code that makes it.",
)
def task_extra_actions(subject: Subject) -> Iterable[Hit]:
    for extra, application in _unneeded(subject.task, subject.task_needs, agent=False):
        yield Hit(
            TR, extra.path, f"{_shown(extra.pattern, application)}: the service never calls it"
        )


@rule(
    "TR004",
    Severity.ERROR,
    "the task role grants on resources the service does not use",
    "Narrow the Resource to the service's queues (${PendingQueueArn}, ${ConfirmedQueueArn}).",
)
def task_wide_resources(subject: Subject) -> Iterable[Hit]:
    for wide in wide_resources(subject.task, subject.task_needs):
        yield Hit(
            TR,
            wide.path,
            f"{wide.resource} reaches beyond what {', '.join(wide.actions)} needs (at most {', '.join(wide.allowed)})",
        )


def _call_location(call: AwsCall) -> tuple[str, str]:
    """The source file of a declared call (when its module is loaded) and its qualified name."""
    module, _, name = call.caller.rpartition(".")
    while module and module not in sys.modules:
        module, _, outer = module.rpartition(".")
        name = f"{outer}.{name}"
    loaded = sys.modules.get(module)
    return (getattr(loaded, "__file__", None) or call.caller), name or call.caller


@rule(
    "TR005",
    Severity.ERROR,
    "the service declares a call to an action IAM does not have",
    "Declare the IAM action the API call is authorised as (batch calls use the singular action).",
)
def declared_actions_exist(subject: Subject) -> Iterable[Hit]:
    for call in subject.calls:
        if iamdb.lookup(call.action) is None:
            file, name = _call_location(call)
            yield Hit(
                file, name, f"{call.caller} declares {call.action!r}, which is not an IAM action"
            )


@rule(
    "TR006",
    Severity.ERROR,
    "the service declares a call with a scope the checker cannot map",
    f"Declare the call on a known scope; {ALWAYS_ALLOWED!r} is only for actions IAM does not authorise.",
)
def declared_scopes_known(subject: Subject) -> Iterable[Hit]:
    for call in subject.calls:
        file, name = _call_location(call)
        if scope_resources(call.scope, subject.context) is None:
            yield Hit(
                file, name, f"{call.caller} declares {call.action} on unknown scope {call.scope!r}"
            )
        elif call.scope == ALWAYS_ALLOWED and call.action.lower() not in UNAUTHORISED_ACTIONS:
            yield Hit(
                file,
                name,
                f"{call.caller} declares {call.action} as {ALWAYS_ALLOWED!r}, but IAM authorises it: "
                "the task role would never be checked for it",
            )


# -- separation of duties ------------------------------------------------------------------------
@rule(
    "SD001",
    Severity.ERROR,
    "the execution role grants application access",
    "Move the grant to the task role: the execution role is for the ECS agent, not the application.",
)
def execution_role_is_agent_only(subject: Subject) -> Iterable[Hit]:
    for extra, application in _unneeded(subject.execution, subject.execution_needs, agent=False):
        yield Hit(
            EX,
            extra.path,
            f"{_shown(extra.pattern, application)} on the execution role: the ECS agent never "
            "uses it, and the application must not run with the execution role",
        )


@rule(
    "SD002",
    Severity.ERROR,
    "the task role grants the ECS agent's access (ECR, Logs, SSM, Secrets Manager, KMS)",
    "Remove it from the task role: the agent pulls, logs and resolves secrets with the execution role.",
)
def task_role_is_application_only(subject: Subject) -> Iterable[Hit]:
    for extra, agent in _unneeded(subject.task, subject.task_needs, agent=True):
        yield Hit(
            TR,
            extra.path,
            f"{_shown(extra.pattern, agent)}: the service never calls it (the ECS agent's job)",
        )
