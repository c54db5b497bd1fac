"""The inventory of AWS actions the service calls, declared next to the code that calls them.

Each function that makes an AWS call is decorated with :func:`calls`. The artifact checker reads the
inventory (:func:`declared_calls`) and proves the task-role policy grants exactly these actions, on
exactly these resources, and nothing more. Adding an AWS call without declaring it fails the checker.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

# Resource scopes a call can touch.
QUEUES = "queues"  # the service's two queues, pending and confirmed
ALWAYS_ALLOWED = "always-allowed"  # actions IAM does not authorise (sts:GetCallerIdentity)

# Modules whose import completes the inventory: every module that calls AWS.
AWS_CALLING_MODULES = ("service.queues", "service.identity.checker")

F = TypeVar("F", bound=Callable[..., object])


@dataclass(frozen=True)
class AwsCall:
    """One IAM action the service performs, the resource scope it touches, and where."""

    action: str
    scope: str
    caller: str


_declared: dict[tuple[str, str, str], AwsCall] = {}


def calls(*actions: str, on: str) -> Callable[[F], F]:
    """Declare that the decorated function performs ``actions`` on the resources in scope ``on``."""

    def register(fn: F) -> F:
        caller = f"{fn.__module__}.{fn.__qualname__}"
        for action in actions:
            _declared[(action, on, caller)] = AwsCall(action, on, caller)
        fn.aws_actions = actions  # type: ignore[attr-defined]
        return fn

    return register


def declared_calls() -> tuple[AwsCall, ...]:
    """Every declared call, after importing all modules that make AWS calls."""
    for module in AWS_CALLING_MODULES:
        importlib.import_module(module)
    return tuple(sorted(_declared.values(), key=lambda c: (c.action, c.scope, c.caller)))


def required_actions(scope: str) -> frozenset[str]:
    """The IAM actions the service needs on the resources of ``scope``."""
    return frozenset(c.action for c in declared_calls() if c.scope == scope)
