"""What the console shows of a running :class:`~ecslocal.runtime.LocalRuntime`, and what it does.

Queue actions go through the service's own API (so they run under the task role, as a client's
would); queue depths and log lines are read with the runtime's own identity (the local operator).
Nothing returned here carries a secret value, an unmasked access key id or the authorization token.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

from ecslocal.demo import fetch_whoami
from ecslocal.tour import http_json
from ecslocal.webconsole.steps import TourSteps

WHOAMI_CACHE_SECONDS = 1.0
LOG_LINES = 200


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


class RuntimeView:
    """The console's model of one running local task."""

    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime
        self.steps = TourSteps(runtime.state, ("--engine", runtime.options.engine))
        self._whoami: tuple[float, dict[str, Any]] = (0.0, {})
        self._lock = threading.Lock()

    # -- reading ---------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """Task, both roles, queues and tour steps, as the page shows them."""
        runtime = self.runtime
        task, container = runtime.task, runtime.container
        started = task.started_at
        uptime = (datetime.now(UTC) - started).total_seconds() if started else None
        prepared = runtime.prepared
        return {
            "task": {
                "family": task.family,
                "revision": task.revision,
                "task_id": task.task_id,
                "task_arn": task.task_arn,
                "status": task.known_status,
                "desired_status": task.desired_status,
                "health": container.health.status,
                "started_at": _iso(started),
                "uptime_seconds": None if uptime is None else int(uptime),
            },
            "execution_role": {
                "arn": task.execution_role_arn,
                "session_arn": runtime.execution_credentials.current().principal_arn,
                "image": container.image,
                "image_digest": prepared.image_id if prepared else "",
                "secrets": [s["name"] for s in container.definition.get("secrets") or []],
                "log_group": prepared.log_group if prepared else None,
                "log_stream": container.log_stream,
            },
            "task_role": {"arn": task.task_role_arn, "whoami": self._cached_whoami()},
            "queues": self.queue_depths(),
            "steps": self.steps.to_json(),
        }

    def _cached_whoami(self) -> dict[str, Any]:
        with self._lock:
            fetched_at, document = self._whoami
            if time.monotonic() - fetched_at > WHOAMI_CACHE_SECONDS:
                document = fetch_whoami(self.runtime.service_url, self.runtime.api_key)
                self._whoami = (time.monotonic(), document)
            return document

    def queue_depths(self) -> dict[str, Any]:
        """Approximate visible and in-flight counts of both queues (as the operator)."""
        account = self.runtime.account
        sqs = account.client("sqs")
        depths: dict[str, Any] = {}
        for name, url in (
            ("pending", account.pending_queue_url),
            ("confirmed", account.confirmed_queue_url),
        ):
            try:
                attributes = sqs.get_queue_attributes(
                    QueueUrl=url,
                    AttributeNames=[
                        "ApproximateNumberOfMessages",
                        "ApproximateNumberOfMessagesNotVisible",
                    ],
                )["Attributes"]
                depths[name] = {
                    "visible": int(attributes["ApproximateNumberOfMessages"]),
                    "in_flight": int(attributes["ApproximateNumberOfMessagesNotVisible"]),
                }
            except Exception as exc:  # shown, not raised: the page keeps updating
                depths[name] = {"error": type(exc).__name__}
        return depths

    def logs(self, after: int) -> dict[str, Any]:
        """Log events of the container's stream after the ``after``-th one (as the operator)."""
        runtime = self.runtime
        group, stream = runtime.prepared.log_group, runtime.container.log_stream
        if not (group and stream):
            return {"group": None, "stream": None, "next": after, "lines": []}
        logs = runtime.account.client("logs")
        events = read_stream(logs, group, stream)
        fresh = events[after:][-LOG_LINES:]
        return {
            "group": group,
            "stream": stream,
            "next": len(events),
            "lines": [{"timestamp": e["timestamp"], "message": e["message"]} for e in fresh],
        }

    # -- acting through the service --------------------------------------------------------------
    def call_service(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """One call to the service's API with its key; its status and JSON body."""
        return http_json(method, f"{self.runtime.service_url}{path}", self.runtime.api_key, body)


def read_stream(logs: Any, group: str, stream: str) -> list[dict[str, Any]]:
    """Every event of a log stream, oldest first, across ``GetLogEvents`` pages.

    One page holds at most 10,000 events or 1 MB; the stream has been read to its end when the
    forward token comes back unchanged.
    """
    events: list[dict[str, Any]] = []
    request: dict[str, Any] = {
        "logGroupName": group,
        "logStreamName": stream,
        "startFromHead": True,
    }
    while True:
        page = logs.get_log_events(**request)
        events.extend(page["events"])
        token = page.get("nextForwardToken")
        if not token or token == request.get("nextToken"):
            return events
        request["nextToken"] = token
