"""Needs against grants, both ways: what a role lacks, and what it grants beyond its needs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from checker import iamdb
from checker.arnmatch import ANY, covers
from checker.needs import Need
from checker.policy import Decision, Policy, Statement


@dataclass(frozen=True)
class Gap:
    """A need the policy does not allow, and the Deny that blocks it, if one does."""

    need: Need
    decision: Decision

    def describe(self) -> str:
        """The gap in words: the action, where it is needed, why, and the Deny that blocks it."""
        need = self.need
        where = " or ".join(need.resources)
        why = f"; denied by {self.decision.denied_by.label}" if self.decision.denied_by else ""
        return f"{need.action} is not allowed on {where} ({need.reason}, {need.source}){why}"


@dataclass(frozen=True)
class ExtraAction:
    """An Action entry that grants actions no need calls for."""

    statement: Statement
    path: str
    pattern: str
    actions: tuple[str, ...]  # canonical names


@dataclass(frozen=True)
class WideResource:
    """A Resource entry outside the scope the needs of the statement's actions allow."""

    statement: Statement
    path: str
    resource: str
    actions: tuple[str, ...]
    allowed: tuple[str, ...]  # the scope the actions may have


def gaps(policy: Policy, needs: Iterable[Need]) -> list[Gap]:
    """Every need the policy does not allow."""
    result = []
    for need in needs:
        decision = policy.decide(need.action, need.resources)
        if not decision.allowed:
            result.append(Gap(need, decision))
    return result


def _needs_by_action(needs: Iterable[Need]) -> dict[str, list[Need]]:
    by_action: dict[str, list[Need]] = {}
    for need in needs:
        by_action.setdefault(need.action.lower(), []).append(need)
    return by_action


def extra_actions(policy: Policy, needs: Iterable[Need]) -> list[ExtraAction]:
    """Action entries of Allow statements that grant actions nothing needs."""
    by_action = _needs_by_action(needs)
    result = []
    for statement in policy.allows:
        for path, pattern in statement.entries("Action"):
            extra = tuple(
                sorted(
                    info.name
                    for info in iamdb.expand(pattern)
                    if info.name.lower() not in by_action
                )
            )
            if extra:
                result.append(ExtraAction(statement, path, pattern, extra))
    return result


def wide_resources(policy: Policy, needs: Iterable[Need]) -> list[WideResource]:
    """Resource entries of Allow statements outside the scope of the needed actions they grant.

    ``"*"`` on an action that can be scoped is left to the Resource "*" rule.
    """
    by_action = _needs_by_action(needs)
    result = []
    for statement in policy.allows:
        needed = {
            info.name: info
            for pattern in statement.action or ()
            for info in iamdb.expand(pattern)
            if info.name.lower() in by_action
        }
        for path, resource in statement.entries("Resource"):
            too_wide, allowed = [], set()
            for name, info in sorted(needed.items()):
                if resource == ANY and not info.wildcard_only:
                    continue
                scope = {s for need in by_action[name.lower()] for s in need.scope}
                if not any(covers(s, resource) for s in scope):
                    too_wide.append(name)
                    allowed |= scope
            if too_wide:
                result.append(
                    WideResource(statement, path, resource, tuple(too_wide), tuple(sorted(allowed)))
                )
    return result
