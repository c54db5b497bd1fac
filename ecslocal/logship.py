"""Ship a container's output to CloudWatch Logs, like the ``awslogs`` driver.

Lines are queued as they arrive and sent with ``PutLogEvents`` in batches that respect the API's
limits (10,000 events, 1,048,576 bytes counting 26 bytes per event, 256 KiB per event, one 24-hour
span, in time order). A background thread flushes every ``flush_interval`` seconds and
:meth:`LogShipper.stop` flushes what is left.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ecslocal.agent import describe_client_error

MAX_BATCH_EVENTS = 10_000
MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD_BYTES = 26
MAX_EVENT_BYTES = 262_144 - EVENT_OVERHEAD_BYTES
MAX_BATCH_SPAN_MS = 24 * 3600 * 1000
_TICK = object()


@dataclass(frozen=True)
class LogEvent:
    """One log line and the time it was read, in milliseconds since the epoch."""

    timestamp: int
    message: str

    @property
    def size(self) -> int:
        return len(self.message.encode("utf-8")) + EVENT_OVERHEAD_BYTES

    def api_shape(self) -> dict[str, Any]:
        return {"timestamp": self.timestamp, "message": self.message}


def clip_message(message: str) -> str:
    """``message`` cut to the largest size one event may carry (on a character boundary)."""
    data = message.encode("utf-8")
    if len(data) <= MAX_EVENT_BYTES:
        return message
    return data[:MAX_EVENT_BYTES].decode("utf-8", errors="ignore")


def batch_events(events: Iterable[LogEvent]) -> list[list[LogEvent]]:
    """Split ``events`` into PutLogEvents batches within every limit, each in time order."""
    ordered = sorted(events, key=lambda e: e.timestamp)  # stable: same-ms lines keep their order
    batches: list[list[LogEvent]] = []
    current: list[LogEvent] = []
    size = 0
    for event in ordered:
        if current and (
            len(current) >= MAX_BATCH_EVENTS
            or size + event.size > MAX_BATCH_BYTES
            or event.timestamp - current[0].timestamp > MAX_BATCH_SPAN_MS
        ):
            batches.append(current)
            current, size = [], 0
        current.append(event)
        size += event.size
    if current:
        batches.append(current)
    return batches


class LogShipper:
    """Send lines to one log stream from a background thread."""

    def __init__(
        self,
        logs_client: Any,
        group: str,
        stream: str,
        *,
        flush_interval: float = 1.0,
        on_error: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = logs_client
        self.group = group
        self.stream = stream
        self._flush_interval = flush_interval
        self._on_error = on_error or (lambda _message: None)
        self._clock = clock
        self._queue: queue.Queue[LogEvent | object | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="ecslocal-logs", daemon=True)
        self.shipped = 0
        self.failed = 0

    def put(self, line: str) -> None:
        """Queue one line of output (without its newline); an empty line is dropped.

        CloudWatch Logs refuses an empty message (and with it the whole batch); Docker's awslogs
        driver skips empty lines too.
        """
        if not line:
            return
        self._queue.put(LogEvent(int(self._clock() * 1000), clip_message(line)))

    def start(self) -> LogShipper:
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Flush everything queued so far, then stop the thread."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout=timeout)

    def _run(self) -> None:
        pending: list[LogEvent] = []
        next_flush = time.monotonic() + self._flush_interval
        while True:
            try:
                item = self._queue.get(timeout=max(0.0, next_flush - time.monotonic()))
            except queue.Empty:
                item = _TICK
            if item is None:  # stop: send what is left
                self._send(pending)
                return
            if isinstance(item, LogEvent):
                pending.append(item)
                if len(pending) < MAX_BATCH_EVENTS and time.monotonic() < next_flush:
                    continue
            if pending:
                self._send(pending)
                pending = []
            next_flush = time.monotonic() + self._flush_interval

    def _send(self, events: list[LogEvent]) -> None:
        for batch in batch_events(events):
            try:
                response = self._client.put_log_events(
                    logGroupName=self.group,
                    logStreamName=self.stream,
                    logEvents=[event.api_shape() for event in batch],
                )
            except Exception as exc:  # keep running: losing the shipper must not stop the task
                self.failed += len(batch)
                self._on_error(
                    f"PutLogEvents to {self.group}:{self.stream} failed: {describe_client_error(exc)}"
                )
                continue
            rejected = response.get("rejectedLogEventsInfo") or {}
            if rejected:
                self._on_error(f"PutLogEvents rejected some events: {rejected}")
            self.shipped += len(batch)
