"""The ECS task context from the task metadata endpoint v4, served over loopback HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from service.identity.ecs import EcsTask, TaskLookup, TaskMetadata, fetch_task
from tests.service.test_identity_chain import LoopbackEndpoint
from tests.support.processes import refusing_port

# The shape ECS documents for ${ECS_CONTAINER_METADATA_URI_V4}/task (abridged).
TASK_DOCUMENT = {
    "Cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/courier-dev",
    "TaskARN": "arn:aws:ecs:us-east-1:123456789012:task/courier-dev/0f1e2d3c4b5a",
    "Family": "courier-dev",
    "Revision": "7",
    "DesiredStatus": "RUNNING",
    "KnownStatus": "RUNNING",
    "Limits": {"CPU": 0.25, "Memory": 512},
    "AvailabilityZone": "us-east-1a",
    "LaunchType": "FARGATE",
    "Containers": [{"Name": "courier", "DockerId": "abc"}],
}


@pytest.fixture
def endpoint() -> Iterator[LoopbackEndpoint]:
    with LoopbackEndpoint() as server:
        yield server


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_task_fields_are_read_from_the_task_document(endpoint: LoopbackEndpoint) -> None:
    endpoint.answer("/v4/abc/task", TASK_DOCUMENT)

    task = fetch_task(f"{endpoint.url}/v4/abc")

    assert task == EcsTask(
        task_arn=TASK_DOCUMENT["TaskARN"],
        cluster=TASK_DOCUMENT["Cluster"],
        family="courier-dev",
        revision="7",
        launch_type="FARGATE",
        availability_zone="us-east-1a",
    )


def test_missing_fields_are_none_and_numbers_become_text(endpoint: LoopbackEndpoint) -> None:
    endpoint.answer("/v4/task", {"Family": "f", "Revision": 3})

    task = fetch_task(f"{endpoint.url}/v4/")

    assert task.revision == "3"
    assert task.task_arn is None and task.launch_type is None


def test_a_successful_read_is_kept_for_the_life_of_the_process(
    endpoint: LoopbackEndpoint,
) -> None:
    endpoint.answer("/v4/task", TASK_DOCUMENT)
    metadata = TaskMetadata(f"{endpoint.url}/v4")

    lookups = [metadata.lookup() for _ in range(5)]

    assert all(lookup.task is not None for lookup in lookups)
    assert endpoint.count("/v4/task") == 1


def test_a_failed_read_is_retried_only_after_the_retry_interval(
    endpoint: LoopbackEndpoint,
) -> None:
    endpoint.answer("/v4/task", {"error": "not yet"}, status=500)
    clock = FakeClock()
    metadata = TaskMetadata(f"{endpoint.url}/v4", retry_after=30, monotonic=clock)

    first = metadata.lookup()
    clock.now += 29
    second = metadata.lookup()
    assert endpoint.count("/v4/task") == 1
    endpoint.answer("/v4/task", TASK_DOCUMENT)
    clock.now += 2
    third = metadata.lookup()

    assert first.task is None and first.error is not None and "HTTP 500" in first.error
    assert second == first
    assert third.task is not None and third.error is None
    assert endpoint.count("/v4/task") == 2


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ("not json", 200, "did not return JSON"),
        (["a", "list"], 200, "did not return a JSON object"),
        ({"message": "gone"}, 404, "HTTP 404"),
    ],
)
def test_unusable_answers_are_reported_not_raised(
    endpoint: LoopbackEndpoint, body: object, status: int, error: str
) -> None:
    endpoint.answer("/v4/task", body, status=status)

    lookup = TaskMetadata(f"{endpoint.url}/v4").lookup()

    assert lookup.task is None
    assert lookup.error is not None and error in lookup.error
    assert f"{endpoint.url}/v4/task" in lookup.error


@pytest.mark.parametrize(
    "uri",
    [f"http://127.0.0.1:{refusing_port()}/v4", "file:///etc/passwd", "169.254.170.2/v4"],
    ids=["refused", "file-scheme", "no-scheme"],  # the port differs per xdist worker
)
def test_unreachable_or_odd_endpoints_are_reported_not_raised(uri: str) -> None:
    lookup = TaskMetadata(uri, timeout=0.5).lookup()
    assert lookup.task is None and lookup.error


def test_no_endpoint_means_no_task_and_no_error() -> None:
    assert TaskMetadata(None).lookup() == TaskLookup()
    assert TaskMetadata("").lookup() == TaskLookup()
