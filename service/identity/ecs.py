"""The ECS task this process runs in, read from the task metadata endpoint v4.

The task does not change while the process lives, so a successful read is kept for the life of the
process; a failed read is retried at most every ``retry_after`` seconds so that requests for the
report do not each wait for an unreachable endpoint.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

# The endpoint is link-local and answers in milliseconds; a slow answer means it is not there.
DEFAULT_TIMEOUT_SECONDS = 1.0
DEFAULT_RETRY_AFTER_SECONDS = 30.0


@dataclass(frozen=True)
class EcsTask:
    """The task context fields of ``${ECS_CONTAINER_METADATA_URI_V4}/task``."""

    task_arn: str | None
    cluster: str | None
    family: str | None
    revision: str | None
    launch_type: str | None
    availability_zone: str | None

    @classmethod
    def from_metadata(cls, document: dict) -> EcsTask:
        """Pick the fields from the endpoint's JSON document (Revision is a string there)."""

        def text(key: str) -> str | None:
            value = document.get(key)
            return None if value is None else str(value)

        return cls(
            task_arn=text("TaskARN"),
            cluster=text("Cluster"),
            family=text("Family"),
            revision=text("Revision"),
            launch_type=text("LaunchType"),
            availability_zone=text("AvailabilityZone"),
        )


@dataclass(frozen=True)
class TaskLookup:
    """The outcome of reading the endpoint: the task, or why it is unknown (``error``)."""

    task: EcsTask | None = None
    error: str | None = None


def fetch_task(metadata_uri: str, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> EcsTask:
    """GET ``${metadata_uri}/task``; raise OSError or ValueError with a readable message."""
    url = metadata_uri.rstrip("/") + "/task"
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"{url!r} is not an http(s) URL")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - scheme checked
            document = json.load(response)
    except urllib.error.HTTPError as exc:
        raise OSError(f"GET {url} answered HTTP {exc.code}") from None
    except urllib.error.URLError as exc:
        raise OSError(f"GET {url} failed: {exc.reason}") from None
    except TimeoutError:
        raise OSError(f"GET {url} timed out after {timeout:g} s") from None
    except (OSError, http.client.HTTPException) as exc:
        raise OSError(f"GET {url} failed: {exc or type(exc).__name__}") from None
    except json.JSONDecodeError:
        raise ValueError(f"GET {url} did not return JSON") from None
    if not isinstance(document, dict):
        raise ValueError(f"GET {url} did not return a JSON object")
    return EcsTask.from_metadata(document)


class TaskMetadata:
    """Reads the task context once per process; thread-safe."""

    def __init__(
        self,
        metadata_uri: str | None,
        *,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        retry_after: float = DEFAULT_RETRY_AFTER_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._metadata_uri = metadata_uri
        self._timeout = timeout
        self._retry_after = retry_after
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._lookup: TaskLookup | None = None
        self._failed_at: float | None = None

    def lookup(self) -> TaskLookup:
        """The task context; ``TaskLookup()`` (both None) when the endpoint is not configured."""
        if not self._metadata_uri:
            return TaskLookup()
        with self._lock:
            if self._lookup is not None and (
                self._lookup.task is not None
                or self._monotonic() - (self._failed_at or 0.0) < self._retry_after
            ):
                return self._lookup
            try:
                self._lookup = TaskLookup(task=fetch_task(self._metadata_uri, self._timeout))
            except (OSError, ValueError) as exc:
                self._lookup = TaskLookup(error=str(exc))
                self._failed_at = self._monotonic()
            return self._lookup
