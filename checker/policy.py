"""IAM policy documents as statements, and the questions the rules ask of them.

Parsing never fails: what IAM would reject is collected as a problem (path and message) and the
statement is kept as far as it can be read, so one typo does not hide every other finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from checker.arnmatch import ANY, action_matches, covers, overlaps, split_arn

POLICY_VERSION = "2012-10-17"
_TOP_LEVEL = {"Version", "Id", "Statement"}
_ELEMENTS = {
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
}


class PolicyKind(StrEnum):
    """Identity policies (attached to a role) and trust policies (who may assume it)."""

    PERMISSION = "permission"
    TRUST = "trust"


@dataclass(frozen=True)
class Statement:
    """One statement, with its elements normalised to tuples of strings (None when absent)."""

    index: int
    path: str
    raw: dict[str, Any]
    sid: str | None = None
    effect: str | None = None
    action: tuple[str, ...] | None = None
    not_action: tuple[str, ...] | None = None
    resource: tuple[str, ...] | None = None
    not_resource: tuple[str, ...] | None = None
    condition: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.path} ({self.sid})" if self.sid else self.path

    @property
    def is_allow(self) -> bool:
        return self.effect == "Allow"

    @property
    def is_deny(self) -> bool:
        return self.effect == "Deny"

    def entry_path(self, element: str, index: int) -> str:
        """The JSON path of entry ``index`` of ``element`` (a lone string has no index)."""
        if isinstance(self.raw.get(element), list):
            return f"{self.path}.{element}[{index}]"
        return f"{self.path}.{element}"

    def entries(self, element: str) -> list[tuple[str, str]]:
        """(path, value) of every string entry of ``element``."""
        values = {
            "Action": self.action,
            "NotAction": self.not_action,
            "Resource": self.resource,
            "NotResource": self.not_resource,
        }[element]
        return [(self.entry_path(element, i), value) for i, value in enumerate(values or ())]

    # -- what the statement applies to ------------------------------------------------------
    def names_action(self, action: str) -> bool:
        """Whether the statement's Action (or NotAction) element applies to ``action``."""
        if self.action is not None:
            return any(action_matches(pattern, action) for pattern in self.action)
        if self.not_action is not None:
            return not any(action_matches(pattern, action) for pattern in self.not_action)
        return False

    def grants_all_of(self, resource: str) -> bool:
        """For an Allow: whether it applies to every ARN the ``resource`` pattern stands for."""
        if self.resource is not None:
            return any(covers(granted, resource) for granted in self.resource)
        if self.not_resource is not None:
            return not any(overlaps(excluded, resource) for excluded in self.not_resource)
        return False

    def touches(self, resource: str) -> bool:
        """For a Deny: whether it applies to some ARN the ``resource`` pattern stands for."""
        if self.resource is not None:
            return any(overlaps(denied, resource) for denied in self.resource)
        if self.not_resource is not None:
            return not any(covers(excluded, resource) for excluded in self.not_resource)
        return False


@dataclass(frozen=True)
class Decision:
    """Whether a policy allows an action on a resource, and the Deny that blocks it, if any."""

    allowed: bool
    denied_by: Statement | None = None


@dataclass(frozen=True)
class Policy:
    """A parsed policy document."""

    kind: PolicyKind
    version: Any
    statements: tuple[Statement, ...]
    problems: tuple[tuple[str, str], ...]

    @property
    def allows(self) -> tuple[Statement, ...]:
        return tuple(s for s in self.statements if s.is_allow)

    def decide(self, action: str, resources: tuple[str, ...]) -> Decision:
        """Whether ``action`` is allowed on (every ARN of) at least one of ``resources``.

        An explicit Deny wins over any Allow. Conditions are not evaluated: a conditional Allow
        counts as granting, and a conditional Deny (which narrows itself to unusual requests, such
        as ones outside a VPC) counts as not applying.
        """
        blocking = None
        for resource in resources:
            deny = next(
                (
                    s
                    for s in self.statements
                    if s.is_deny
                    and not s.condition
                    and s.names_action(action)
                    and s.touches(resource)
                ),
                None,
            )
            allowed = any(s.names_action(action) and s.grants_all_of(resource) for s in self.allows)
            if allowed and deny is None:
                return Decision(True)
            blocking = blocking or (deny if allowed else None)
        return Decision(False, blocking)


def _strings(value: Any, path: str, problems: list[tuple[str, str]]) -> tuple[str, ...] | None:
    if value is None:
        return None
    items = value if isinstance(value, list) else [value]
    if isinstance(value, list) and not value:
        problems.append((path, "is an empty list"))
    strings = []
    for i, item in enumerate(items):
        if isinstance(item, str):
            strings.append(item)
        else:
            where = f"{path}[{i}]" if isinstance(value, list) else path
            problems.append((where, f"must be a string, not {type(item).__name__}"))
    return tuple(strings)


def _statement(
    raw: Any, index: int, path: str, kind: PolicyKind, problems: list[tuple[str, str]]
) -> Statement | None:
    if not isinstance(raw, dict):
        problems.append((path, "a statement must be a JSON object"))
        return None
    for key in raw:
        if key not in _ELEMENTS:
            problems.append((f"{path}.{key}", f"{key!r} is not a policy element"))
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        problems.append((f"{path}.Effect", f"Effect must be 'Allow' or 'Deny', not {effect!r}"))
    if ("Action" in raw) == ("NotAction" in raw):
        problems.append((path, "a statement needs exactly one of Action and NotAction"))
    has_resource = "Resource" in raw or "NotResource" in raw
    has_principal = "Principal" in raw or "NotPrincipal" in raw
    if kind is PolicyKind.PERMISSION:
        if "Resource" in raw and "NotResource" in raw:
            problems.append((path, "a statement needs exactly one of Resource and NotResource"))
        elif not has_resource:
            problems.append((path, "a permission policy statement needs a Resource"))
        if has_principal:
            problems.append((path, "a role's permission policy must not name a Principal"))
    else:
        if has_resource:
            problems.append((path, "a trust policy statement must not name a Resource"))
        if not has_principal:
            problems.append((path, "a trust policy statement needs a Principal"))
    for element in ("Resource", "NotResource"):
        values = raw.get(element)
        for i, value in enumerate(values if isinstance(values, list) else [values]):
            if isinstance(value, str) and value != ANY and split_arn(value) is None:
                where = (
                    f"{path}.{element}[{i}]" if isinstance(values, list) else f"{path}.{element}"
                )
                problems.append(
                    (where, f'{value!r} is neither "*" nor an ARN with six colon-separated fields')
                )
    condition = raw.get("Condition", {})
    if not isinstance(condition, dict):
        problems.append((f"{path}.Condition", "Condition must be a JSON object"))
        condition = {}
    sid = raw.get("Sid")
    return Statement(
        index=index,
        path=path,
        raw=raw,
        sid=sid if isinstance(sid, str) else None,
        effect=effect if isinstance(effect, str) else None,
        action=_strings(raw.get("Action"), f"{path}.Action", problems),
        not_action=_strings(raw.get("NotAction"), f"{path}.NotAction", problems),
        resource=_strings(raw.get("Resource"), f"{path}.Resource", problems),
        not_resource=_strings(raw.get("NotResource"), f"{path}.NotResource", problems),
        condition=condition,
    )


def parse_policy(document: Any, kind: PolicyKind) -> Policy:
    """Read a policy document into statements, collecting what IAM would reject."""
    problems: list[tuple[str, str]] = []
    if not isinstance(document, dict):
        problems.append(("$", "a policy document must be a JSON object"))
        return Policy(kind, None, (), tuple(problems))
    for key in document:
        if key not in _TOP_LEVEL:
            problems.append((f"$.{key}", f"{key!r} is not a top-level policy element"))
    raw_statements = document.get("Statement")
    if isinstance(raw_statements, dict):
        located = [(raw_statements, "$.Statement")]
    elif isinstance(raw_statements, list):
        located = [(raw, f"$.Statement[{i}]") for i, raw in enumerate(raw_statements)]
        if not raw_statements:
            problems.append(("$.Statement", "the policy has no statements"))
    else:
        problems.append(("$.Statement", "Statement must be a list of statements"))
        located = []
    statements = []
    for index, (raw, path) in enumerate(located):
        statement = _statement(raw, index, path, kind, problems)
        if statement is not None:
            statements.append(statement)
    return Policy(kind, document.get("Version"), tuple(statements), tuple(problems))
