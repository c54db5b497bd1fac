"""JSON parsing that accepts only text with one meaning: the API's request bodies and the artifacts.

Python's ``json`` module takes duplicate keys (the last one silently wins), ``NaN`` and ``Infinity``
(not JSON; AWS rejects them) and numbers that overflow to infinity; it raises ``RecursionError``
on deep nesting and a bare ``ValueError`` on integers past its digit limit. Here each of those is
one :class:`JsonError` whose message names the problem.
"""

from __future__ import annotations

import json
import math
from typing import Any


class JsonError(ValueError):
    """The text is not JSON with one meaning; the message says why (no input is echoed)."""


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise JsonError(f"duplicate key {key!r}")
        seen[key] = value
    return seen


def _constant(name: str) -> float:
    raise JsonError(f"{name} is not a JSON value")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonError("a number is too large")
    return value


def loads(text: str) -> Any:
    """Parse ``text``; raise :class:`JsonError` for anything that is not plain, unambiguous JSON."""
    try:
        return json.loads(
            text, object_pairs_hook=_object, parse_constant=_constant, parse_float=_finite
        )
    except json.JSONDecodeError as exc:
        raise JsonError(f"{exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except JsonError:
        raise
    except ValueError:  # an integer over Python's digit limit
        raise JsonError("a number is too long") from None
    except RecursionError:
        raise JsonError("it nests too deeply") from None
