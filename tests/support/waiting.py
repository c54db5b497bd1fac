"""Bounded waits on an event (a condition becoming true), never a fixed sleep."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(condition: Callable[[], T], what: str, timeout: float = 20.0) -> T:
    """Poll ``condition`` until it returns something truthy (a bounded wait, not a timing check)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {timeout} s")
