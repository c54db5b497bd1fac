"""Strict JSON loading for artifact files: duplicate keys and bad JSON are errors, not surprises."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class ArtifactError(Exception):
    """An artifact file cannot be read or rendered; the message names the file and the problem."""


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"duplicate key {key!r}")
        seen[key] = value
    return seen


def parse_json(text: str, source: str) -> Any:
    """Parse JSON text, naming ``source`` in the error when it is malformed or has duplicate keys."""
    try:
        return json.loads(text, object_pairs_hook=_reject_duplicates)
    except json.JSONDecodeError as exc:
        raise ArtifactError(
            f"{source}: not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except ValueError as exc:  # raised by the duplicate-key hook
        raise ArtifactError(f"{source}: {exc}") from None


def load_json(path: Path) -> Any:
    """Read and parse one artifact file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ArtifactError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"{path}: cannot read: {exc}") from None
    return parse_json(text, str(path))
