"""Compare a rendered task definition with a registered revision.

``DescribeTaskDefinition`` returns more than was registered: bookkeeping fields (ARN, revision,
status, compatibilities, ...), and defaults filled in (``cpu: 0``, empty lists, ``protocol: tcp``,
``hostPort`` under ``awsvpc``). Both sides are normalised the same way before comparing, so only a
real difference registers a new revision.
"""

from __future__ import annotations

from typing import Any

# Fields AWS adds to a registered revision; none of them can be registered.
AWS_ADDED_FIELDS = frozenset(
    {
        "taskDefinitionArn",
        "revision",
        "status",
        "requiresAttributes",
        "compatibilities",
        "registeredAt",
        "registeredBy",
        "deregisteredAt",
        "deleteRequestedAt",
    }
)
# Task-level fields AWS fills in when left out (DescribeTaskDefinition has returned
# ``enableFaultInjection: false`` for every revision since the field appeared in 2025).
TASK_DEFAULTS: dict[str, Any] = {"enableFaultInjection": False}
# Container fields whose value AWS fills in when left out.
CONTAINER_DEFAULTS: dict[str, Any] = {"cpu": 0, "essential": True}
# Lists whose order carries no meaning: compared sorted by name.
_NAMED_LISTS = ("environment", "secrets")


def _prune(value: Any) -> Any:
    """Drop None, empty lists and empty objects, recursively."""
    if isinstance(value, dict):
        pruned = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, [], {})}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def _without_defaults(document: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """``document`` without the fields that hold their default value."""
    return {
        key: value
        for key, value in document.items()
        if key not in defaults or value != defaults[key]
    }


def _container(container: dict[str, Any], awsvpc: bool) -> dict[str, Any]:
    container = _without_defaults(container, CONTAINER_DEFAULTS)
    mappings = []
    for mapping in container.get("portMappings", []):
        mapping = dict(mapping)
        if mapping.get("protocol", "tcp") == "tcp":
            mapping.pop("protocol", None)
        if awsvpc and mapping.get("hostPort") == mapping.get("containerPort"):
            mapping.pop("hostPort", None)
        mappings.append(mapping)
    if mappings:
        container["portMappings"] = mappings
    for key in _NAMED_LISTS:
        if key in container:
            container[key] = sorted(container[key], key=lambda item: str(item.get("name")))
    return container


def normalise(document: dict[str, Any]) -> dict[str, Any]:
    """The comparable form of a task definition, rendered or described."""
    document = _without_defaults(document, TASK_DEFAULTS)
    document = {k: v for k, v in document.items() if k not in AWS_ADDED_FIELDS and k != "tags"}
    awsvpc = document.get("networkMode") == "awsvpc"
    document["containerDefinitions"] = sorted(
        (_container(c, awsvpc) for c in document.get("containerDefinitions", [])),
        key=lambda c: str(c.get("name")),
    )
    volumes = []
    for volume in document.get("volumes", []):
        volume = dict(volume)
        if volume.get("configuredAtLaunch") is False:
            volume.pop("configuredAtLaunch")
        volumes.append(volume)
    document["volumes"] = sorted(volumes, key=lambda v: str(v.get("name")))
    return _prune(document)


def differences(desired: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """The paths where two task definitions differ once normalised (empty when they match)."""
    found: list[str] = []
    _walk(normalise(desired), normalise(actual), "", found)
    return found


def _walk(desired: Any, actual: Any, path: str, found: list[str]) -> None:
    if isinstance(desired, dict) and isinstance(actual, dict):
        for key in sorted(set(desired) | set(actual)):
            _walk(desired.get(key), actual.get(key), f"{path}.{key}" if path else key, found)
    elif (
        isinstance(desired, list)
        and isinstance(actual, list)
        and len(desired) == len(actual)
        and desired != actual
    ):
        for index, (left, right) in enumerate(zip(desired, actual, strict=True)):
            name = left.get("name") if isinstance(left, dict) else None
            _walk(left, right, f"{path}[{name or index}]", found)
    elif desired != actual:
        found.append(path or "(document)")
