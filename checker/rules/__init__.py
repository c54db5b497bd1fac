"""Every rule the checker runs, in report order. Importing a rule module registers its rules."""

from checker.rules import arns, environment, policies, roles, taskdef, trust  # noqa: F401
from checker.rules.base import REGISTRY, Hit, Rule

# Task definition first, then what it exposes, then the policies from their shape to their meaning.
GROUP_ORDER = ("TD", "EN", "AR", "PL", "IA", "EX", "TR", "SD", "TP")

RULES: tuple[Rule, ...] = tuple(
    sorted(REGISTRY, key=lambda r: (GROUP_ORDER.index(r.code[:2]), r.code))
)

__all__ = ["GROUP_ORDER", "RULES", "Hit", "Rule"]
