"""A rule is one small function with a stable code; the checker walks the list in :mod:`checker.ruleset`.

Each rule takes the :class:`~checker.subject.Subject` and yields :class:`Hit` values (which
document, where in it, what is wrong); the engine turns hits into findings with the rule's code,
severity and fix. Adding a check is adding one decorated function, listing it in
:data:`checker.ruleset.RULES`, and its broken fixture.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from checker.findings import Severity
from checker.subject import Subject


@dataclass(frozen=True)
class Hit:
    """One place a rule found its problem. ``document`` is a Subject document name or a file."""

    document: str
    path: str
    message: str
    fix: str | None = None  # overrides the rule's fix when the remedy depends on the case


Check = Callable[[Subject], Iterable[Hit]]


@dataclass(frozen=True)
class Rule:
    """A check with its code, severity, one-line title and default fix."""

    code: str
    severity: Severity
    title: str
    fix: str
    check: Check


def rule(code: str, severity: Severity, title: str, fix: str) -> Callable[[Check], Rule]:
    """Make the decorated function the :class:`Rule` ``code``; it runs once listed in the ruleset."""

    def make(check: Check) -> Rule:
        return Rule(code, severity, title, fix, check)

    return make
