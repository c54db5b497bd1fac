"""Policy document rules: structure (PL...) and actions against the IAM database (IA...)."""

from __future__ import annotations

from collections.abc import Iterable

from checker import iamdb
from checker.arnmatch import ANY, has_wildcard
from checker.findings import Severity
from checker.policy import POLICY_VERSION
from checker.rules.base import Hit, rule
from checker.subject import Subject


@rule(
    "PL001",
    Severity.WARNING,
    "policy Version is not 2012-10-17",
    f'Set "Version": "{POLICY_VERSION}" (without it IAM uses the 2008 language: no policy variables).',
)
def policy_version(subject: Subject) -> Iterable[Hit]:
    for document, policy in subject.policies():
        if policy.version != POLICY_VERSION and policy.statements:
            yield Hit(document, "$.Version", f"Version is {policy.version!r}")


@rule(
    "PL002",
    Severity.ERROR,
    "Allow with NotAction, NotResource or NotPrincipal",
    "List what is allowed in Action/Resource/Principal: an Allow with Not... grants everything else, "
    "including whatever AWS adds later.",
)
def no_allow_with_not(subject: Subject) -> Iterable[Hit]:
    for document, policy in subject.policies():
        for statement in policy.allows:
            for element in ("NotAction", "NotResource", "NotPrincipal"):
                if element in statement.raw:
                    yield Hit(
                        document,
                        f"{statement.path}.{element}",
                        f"Allow with {element} in {statement.label}",
                    )


@rule(
    "PL003",
    Severity.ERROR,
    "policy document is malformed",
    "Fix the element as the message says: IAM rejects the whole document (MalformedPolicyDocument).",
)
def policy_structure(subject: Subject) -> Iterable[Hit]:
    for document, policy in subject.policies():
        for path, message in policy.problems:
            yield Hit(document, path, message)


@rule(
    "IA001",
    Severity.ERROR,
    "action does not exist in IAM",
    "Use an action from the Service Authorization Reference (check the spelling and the service prefix).",
)
def actions_exist(subject: Subject) -> Iterable[Hit]:
    for document, policy in subject.policies():
        for statement in policy.statements:
            for element in ("Action", "NotAction"):
                for path, action in statement.entries(element):
                    if not iamdb.is_wellformed(action):
                        yield Hit(document, path, f"{action!r} is not of the form service:Action")
                    elif not iamdb.expand(action):
                        kind = (
                            "matches no action" if has_wildcard(action) else "is not an IAM action"
                        )
                        yield Hit(document, path, f"{action} {kind}")


@rule(
    "IA002",
    Severity.ERROR,
    'Resource "*" on an action that can be scoped to a resource',
    'Name the exact resource ARN(s) the role needs instead of "*".',
)
def star_only_where_required(subject: Subject) -> Iterable[Hit]:
    for document, policy in subject.permission_policies():
        for statement in policy.allows:
            star_paths = [path for path, value in statement.entries("Resource") if value == ANY]
            if not star_paths:
                continue
            scopable = sorted(
                {
                    info.name
                    for pattern in statement.action or ()
                    for info in iamdb.expand(pattern)
                    if not info.wildcard_only
                }
            )
            if scopable:
                shown = ", ".join(scopable[:6]) + (
                    f" and {len(scopable) - 6} more" if len(scopable) > 6 else ""
                )
                yield Hit(
                    document,
                    star_paths[0],
                    f"{statement.label} grants {shown} on every resource in every account it can reach",
                )


@rule(
    "IA003",
    Severity.ERROR,
    'an action that takes only Resource "*" is scoped to an ARN',
    'Grant it in its own statement with "Resource": "*" (IAM never matches it against an ARN).',
)
def wildcard_only_actions_unscoped(subject: Subject) -> Iterable[Hit]:
    for document, policy in subject.permission_policies():
        for statement in policy.allows:
            if statement.resource is None or ANY in statement.resource:
                continue
            for path, pattern in statement.entries("Action"):
                infos = iamdb.expand(pattern)
                if infos and all(info.wildcard_only for info in infos):
                    yield Hit(
                        document,
                        path,
                        f'{pattern} accepts only Resource "*"; scoped to {list(statement.resource)} it '
                        "never applies and the call is denied",
                    )
