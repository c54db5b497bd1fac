"""Task metadata endpoint v4: paths and the field names ECS documents for Fargate."""

from __future__ import annotations

import os

import pytest

from artifacts.context import DeploymentContext
from artifacts.render import render_artifacts
from ecslocal.metadata_endpoint import create_metadata_app
from ecslocal.task import HEALTHY, LocalTask

CONTEXT = DeploymentContext()
CONTAINER_FIELDS = {
    "DockerId", "Name", "DockerName", "Image", "ImageID", "Labels", "DesiredStatus",
    "KnownStatus", "Limits", "CreatedAt", "StartedAt", "Type", "Networks", "LogDriver",
    "LogOptions", "ContainerARN", "Health", "Ports",
}  # fmt: skip
TASK_FIELDS = {
    "Cluster", "TaskARN", "Family", "Revision", "DesiredStatus", "KnownStatus", "Limits",
    "PullStartedAt", "PullStoppedAt", "AvailabilityZone", "LaunchType", "Containers",
    "ClockDrift", "EphemeralStorageMetrics",
}  # fmt: skip


@pytest.fixture
def task() -> LocalTask:
    artifacts = render_artifacts(CONTEXT)
    arn = CONTEXT.arn("ecs", f"task-definition/{CONTEXT.task_family}:7")
    task = LocalTask.start(CONTEXT, artifacts.task_definition, arn)
    (container,) = task.containers
    task.pull_started()
    task.pulled(container, "sha256:" + "a" * 64)
    task.container_created(container)
    task.container_started(container, os.getpgrp())  # this process group stands in
    container.log_stream = task.log_stream_for(container)
    task.set_health(container, HEALTHY, 0, "")
    return task


@pytest.fixture
def client(task):
    return create_metadata_app(task).test_client()


def base(task: LocalTask) -> str:
    return f"/v4/{task.containers[0].docker_id}"


def test_container_document_has_the_documented_fields(client, task):
    body = client.get(base(task)).get_json()
    assert set(body) >= CONTAINER_FIELDS
    assert body["Name"] == CONTEXT.container_name
    assert body["KnownStatus"] == "RUNNING"
    assert body["Health"]["status"] == HEALTHY
    assert body["Labels"]["com.amazonaws.ecs.task-arn"] == task.task_arn
    assert body["Labels"]["com.amazonaws.ecs.task-definition-version"] == "7"
    assert body["LogOptions"]["awslogs-stream"] == task.log_stream_for(task.containers[0])
    assert body["ImageID"] == "sha256:" + "a" * 64
    assert body["StartedAt"].endswith("Z")
    assert "ExitCode" not in body  # omitted until the container exits


def test_task_document_has_the_documented_fields(client, task):
    body = client.get(f"{base(task)}/task").get_json()
    assert set(body) >= TASK_FIELDS
    assert body["LaunchType"] == "FARGATE"
    assert body["Revision"] == "7"
    assert isinstance(body["Revision"], str)
    assert body["Family"] == CONTEXT.task_family
    assert body["Limits"] == {"CPU": 0.25, "Memory": 512}
    assert body["AvailabilityZone"].startswith(CONTEXT.region)
    assert [c["DockerId"] for c in body["Containers"]] == [task.containers[0].docker_id]
    assert "TaskTags" not in body


def test_task_with_tags_adds_the_tags(client, task):
    body = client.get(f"{base(task)}/taskWithTags").get_json()
    assert "TaskTags" in body
    assert set(body) >= TASK_FIELDS


def test_stats_come_from_the_running_process(client, task):
    body = client.get(f"{base(task)}/stats").get_json()
    assert body["memory_stats"]["usage"] > 0
    assert body["memory_stats"]["limit"] == 512 * 1024 * 1024
    assert body["cpu_stats"]["cpu_usage"]["total_usage"] > 0
    assert body["pids_stats"]["current"] >= 1
    again = client.get(f"{base(task)}/stats").get_json()
    assert again["precpu_stats"] == body["cpu_stats"]


def test_task_stats_map_each_docker_id_to_its_stats(client, task):
    body = client.get(f"{base(task)}/task/stats").get_json()
    assert set(body) == {task.containers[0].docker_id}


def test_a_stopped_container_has_no_stats_and_reports_its_exit(client, task):
    container = task.containers[0]
    task.container_stopped(container, 0)
    assert client.get(f"{base(task)}/stats").get_json() is None
    body = client.get(base(task)).get_json()
    assert (body["KnownStatus"], body["ExitCode"]) == ("STOPPED", 0)
    assert "FinishedAt" in body


@pytest.mark.parametrize("suffix", ["", "/task", "/stats", "/task/stats", "/taskWithTags"])
def test_unknown_container_ids_are_404_on_every_path(client, suffix):
    response = client.get(f"/v4/not-a-container{suffix}")
    assert response.status_code == 404
    assert response.get_json()["code"] == "NotFound"


@pytest.mark.parametrize("suffix", ["/", "/task/", "/stats/", "/task/stats/", "/taskWithTags/"])
def test_a_trailing_slash_is_accepted_on_every_path(client, task, suffix):
    with_slash = client.get(f"{base(task)}{suffix}")
    without = client.get(f"{base(task)}{suffix.rstrip('/')}")
    assert with_slash.status_code == without.status_code == 200
    assert with_slash.get_json().keys() == without.get_json().keys()
