"""Property names between the ECS API (``taskdef.json``: camelCase) and CloudFormation (PascalCase).

CloudFormation spells each task definition property as the API does with the first letter upper
case. Free-form maps (log driver options, Docker labels) keep their keys as written.
"""

from __future__ import annotations

from typing import Any

# Maps whose keys are data, not property names (e.g. ``awslogs-group``).
FREE_FORM = frozenset({"options", "dockerLabels", "systemControls", "labels", "driverOpts"})


def _convert(value: Any, rename: Any) -> Any:
    if isinstance(value, list):
        return [_convert(item, rename) for item in value]
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            api_key = key[:1].lower() + key[1:]
            result[rename(key)] = item if api_key in FREE_FORM else _convert(item, rename)
        return result
    return value


def to_cloudformation(document: Any) -> Any:
    """An ECS API document (camelCase keys) as CloudFormation properties (PascalCase keys)."""
    return _convert(document, lambda key: key[:1].upper() + key[1:])


def from_cloudformation(properties: Any) -> Any:
    """CloudFormation properties (PascalCase keys) as the ECS API document (camelCase keys)."""
    return _convert(properties, lambda key: key[:1].lower() + key[1:])
