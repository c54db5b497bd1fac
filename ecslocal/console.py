"""The runtime's console: one line at a time, from any thread, each with who is speaking."""

from __future__ import annotations

import sys
import threading
from typing import TextIO


class Console:
    """Prints ``[source] text`` lines; container output and runtime events never interleave."""

    def __init__(self, stream: TextIO | None = None, runtime_label: str = "ecslocal") -> None:
        self._stream = stream or sys.stdout
        self._lock = threading.Lock()
        self._label = runtime_label

    def say(self, text: str, source: str | None = None) -> None:
        """One runtime event (or a line from ``source``)."""
        label = source or self._label
        with self._lock:
            for line in text.splitlines() or [""]:
                self._stream.write(f"[{label}] {line}\n")
            self._stream.flush()

    def raw(self, text: str) -> None:
        """Text printed as it is (banners)."""
        with self._lock:
            self._stream.write(text if text.endswith("\n") else text + "\n")
            self._stream.flush()
