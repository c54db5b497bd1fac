"""Small helpers the resource kinds share."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from botocore.exceptions import ClientError

from ecsdeploy.errors import error_code

T = TypeVar("T")


def unless_missing(call: Callable[[], T], *missing_codes: str) -> T | None:
    """The result of ``call``, or None when AWS answers with one of ``missing_codes``."""
    try:
        return call()
    except ClientError as exc:
        if error_code(exc) in missing_codes:
            return None
        raise
