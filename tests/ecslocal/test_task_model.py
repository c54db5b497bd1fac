"""The model of a running task: ids, names, lifecycle, health."""

from __future__ import annotations

import re

import pytest

from artifacts.context import DeploymentContext
from artifacts.render import render_artifacts
from ecslocal.task import (
    HEALTHY,
    UNHEALTHY,
    UNKNOWN,
    LocalTask,
    awslogs_stream_name,
    revision_of,
)

CONTEXT = DeploymentContext()


@pytest.fixture
def task() -> LocalTask:
    artifacts = render_artifacts(CONTEXT)
    arn = CONTEXT.arn("ecs", f"task-definition/{CONTEXT.task_family}:3")
    return LocalTask.start(CONTEXT, artifacts.task_definition, arn)


def test_ids_have_the_shapes_ecs_gives_them(task):
    assert re.fullmatch(r"[0-9a-f]{32}", task.task_id)
    assert task.task_arn == (
        f"arn:aws:ecs:{CONTEXT.region}:{CONTEXT.account_id}:task/{CONTEXT.cluster_name}/{task.task_id}"
    )
    assert task.cluster_arn.endswith(f":cluster/{CONTEXT.cluster_name}")
    (container,) = task.containers
    assert re.fullmatch(rf"{task.task_id}-\d{{10}}", container.docker_id)
    assert task.revision == "3"
    assert task.family == CONTEXT.task_family


def test_task_ids_differ_between_tasks(task):
    other = LocalTask.start(CONTEXT, task.task_definition, task.task_definition_arn)
    assert other.task_id != task.task_id


@pytest.mark.parametrize("arn", ["", "arn:aws:ecs:us-east-1:123456789012:task-definition/x", "x:1"])
def test_a_task_definition_arn_without_revision_is_rejected(arn):
    with pytest.raises(ValueError, match="revision"):
        revision_of(arn)


def test_awslogs_stream_name_is_prefix_container_task_id(task):
    container = task.container(CONTEXT.container_name)
    assert task.log_stream_for(container) == (
        f"{CONTEXT.log_stream_prefix}/{CONTEXT.container_name}/{task.task_id}"
    )
    assert awslogs_stream_name("", "web", "abc") == "abc"


def test_a_container_without_awslogs_has_no_stream(task):
    container = task.container(CONTEXT.container_name)
    container.definition = {**container.definition, "logConfiguration": {"logDriver": "json-file"}}
    assert task.log_stream_for(container) is None


def test_unknown_container_name_is_named_in_the_error(task):
    with pytest.raises(KeyError, match="sidecar"):
        task.container("sidecar")


def test_lifecycle_moves_through_ecs_statuses(task):
    container = task.container(CONTEXT.container_name)
    assert (task.known_status, container.known_status) == ("PROVISIONING", "NONE")
    task.pull_started()
    task.pulled(container, "sha256:" + "0" * 64)
    task.container_created(container)
    task.container_started(container, pid=1234)
    assert (task.known_status, container.known_status, container.pid) == (
        "RUNNING",
        "RUNNING",
        1234,
    )
    task.stopping("Task stopped by user")
    assert (task.desired_status, container.desired_status) == ("STOPPED", "STOPPED")
    task.container_stopped(container, exit_code=0)
    task.stopped()
    assert (task.known_status, container.exit_code, container.pid) == ("STOPPED", 0, None)
    assert task.stopped_reason == "Task stopped by user"
    assert (
        task.pull_started_at
        <= task.pull_stopped_at
        <= container.started_at
        <= container.finished_at
    )


def test_health_changes_are_reported_once_and_keep_their_since(task):
    container = task.container(CONTEXT.container_name)
    assert container.health.status == UNKNOWN
    assert task.set_health(container, HEALTHY, 0, "ok") is True
    since = container.health.since
    assert task.set_health(container, HEALTHY, 0, "ok") is False
    assert container.health.since == since
    assert task.set_health(container, UNHEALTHY, 1, "down") is True
    assert container.health.since >= since
