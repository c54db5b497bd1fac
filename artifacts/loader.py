"""Strict JSON loading for artifact files: duplicate keys and bad JSON are errors, not surprises."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from service import strictjson


class ArtifactError(Exception):
    """An artifact file cannot be read or rendered; the message names the file and the problem."""


def parse_json(text: str, source: str) -> Any:
    """Parse JSON text, naming ``source`` in the error when it is malformed or has duplicate keys."""
    try:
        return strictjson.loads(text)
    except strictjson.JsonError as exc:
        raise ArtifactError(f"{source}: not valid JSON: {exc}") from None


def load_json(path: Path) -> Any:
    """Read and parse one artifact file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ArtifactError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"{path}: cannot read: {exc}") from None
    return parse_json(text, str(path))
