"""The task metadata endpoint v4: ``${ECS_CONTAINER_METADATA_URI_V4}`` and the paths under it.

``/v4/<docker-id>`` (this container), ``/task``, ``/taskWithTags``, ``/stats`` and ``/task/stats``,
with the field names ECS documents for Fargate. A thin layer over :class:`ecslocal.task.LocalTask`;
statistics are read from /proc for the container's process group.
"""

from __future__ import annotations

import os
import threading
from datetime import datetime
from typing import Any

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from ecslocal import procs
from ecslocal.credentials import utc_now
from ecslocal.task import Container, LocalTask

METADATA_PREFIX = "/v4/"
LOCAL_IPV4 = "127.0.0.1"


def _ts(moment: datetime | None) -> str | None:
    """Timestamps as ECS writes them: RFC 3339 in UTC with a ``Z``."""
    if moment is None:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _drop_none(document: dict[str, Any]) -> dict[str, Any]:
    """ECS omits fields that have no value yet (ExitCode, FinishedAt, ...)."""
    return {key: value for key, value in document.items() if value is not None}


def task_limits(task: LocalTask) -> dict[str, Any]:
    """Task-level limits: CPU in vCPUs, memory in MiB (from the task definition's units)."""
    limits: dict[str, Any] = {}
    cpu = task.task_definition.get("cpu")
    memory = task.task_definition.get("memory")
    if cpu:
        limits["CPU"] = int(cpu) / 1024
    if memory:
        limits["Memory"] = int(memory)
    return limits


def container_metadata(task: LocalTask, container: Container) -> dict[str, Any]:
    """One container's metadata document."""
    definition = container.definition
    log_config = definition.get("logConfiguration") or {}
    log_options = dict(log_config.get("options") or {})
    if container.log_stream:
        log_options["awslogs-stream"] = container.log_stream
    ports = [
        {
            "ContainerPort": mapping.get("containerPort"),
            "Protocol": mapping.get("protocol", "tcp"),
            "HostPort": mapping.get("hostPort", mapping.get("containerPort")),
        }
        for mapping in definition.get("portMappings") or []
    ]
    health = None
    if container.has_health_check:
        health = _drop_none(
            {
                "status": container.health.status,
                "statusSince": _ts(container.health.since),
                "exitCode": container.health.exit_code,
                "output": container.health.output or None,
            }
        )
    return _drop_none(
        {
            "DockerId": container.docker_id,
            "Name": container.name,
            "DockerName": container.name,
            "Image": container.image,
            "ImageID": container.image_id,
            "Ports": ports or None,
            "Labels": {
                "com.amazonaws.ecs.cluster": task.cluster_arn,
                "com.amazonaws.ecs.container-name": container.name,
                "com.amazonaws.ecs.task-arn": task.task_arn,
                "com.amazonaws.ecs.task-definition-family": task.family,
                "com.amazonaws.ecs.task-definition-version": task.revision,
            },
            "DesiredStatus": container.desired_status,
            "KnownStatus": container.known_status,
            "ExitCode": container.exit_code,
            "Limits": {
                "CPU": int(definition.get("cpu") or 0),
                "Memory": int(definition.get("memory") or 0),
            },
            "CreatedAt": _ts(container.created_at),
            "StartedAt": _ts(container.started_at),
            "FinishedAt": _ts(container.finished_at),
            "Type": "NORMAL",
            "Health": health,
            "LogDriver": log_config.get("logDriver"),
            "LogOptions": log_options or None,
            "ContainerARN": task.context.arn(
                "ecs", f"container/{task.context.cluster_name}/{task.task_id}/{container.docker_id}"
            ),
            "Networks": [
                {
                    "NetworkMode": task.task_definition.get("networkMode", "awsvpc"),
                    "IPv4Addresses": [LOCAL_IPV4],
                    "AttachmentIndex": 0,
                    "IPv4SubnetCIDRBlock": "127.0.0.0/8",
                    "PrivateDNSName": "localhost",
                }
            ],
            "Snapshotter": "overlayfs",
        }
    )


def task_metadata(task: LocalTask, with_tags: bool = False) -> dict[str, Any]:
    """The ``/task`` (or ``/taskWithTags``) document."""
    document = _drop_none(
        {
            "Cluster": task.cluster_arn,
            "TaskARN": task.task_arn,
            "Family": task.family,
            "Revision": task.revision,
            "DesiredStatus": task.desired_status,
            "KnownStatus": task.known_status,
            "Limits": task_limits(task) or None,
            "PullStartedAt": _ts(task.pull_started_at),
            "PullStoppedAt": _ts(task.pull_stopped_at),
            "AvailabilityZone": task.availability_zone,
            "LaunchType": "FARGATE",
            "Containers": [container_metadata(task, c) for c in task.containers],
            "ClockDrift": {
                "ClockErrorBound": 0.0,
                "ReferenceTimestamp": _ts(utc_now()),
                "ClockSynchronizationStatus": "SYNCHRONIZED",
            },
            "EphemeralStorageMetrics": {
                "Utilized": 0,
                "Reserved": int(
                    (task.task_definition.get("ephemeralStorage") or {}).get("sizeInGiB", 20)
                )
                * 1024,
            },
        }
    )
    if with_tags:
        tags = task.task_definition.get("tags") or []
        document["TaskTags"] = {tag["key"]: tag["value"] for tag in tags if "key" in tag}
    return document


class StatsReader:
    """Docker-style statistics for each container, keeping the previous read for ``precpu_stats``."""

    def __init__(self) -> None:
        self._previous: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def read(self, task: LocalTask, container: Container) -> dict[str, Any] | None:
        """The stats document of ``container``; None when it is not running (ECS returns null)."""
        if container.pid is None:
            return None
        members = procs.group_members(container.pid)
        memory_limit = int(
            container.definition.get("memory") or task.task_definition.get("memory") or 0
        )
        current = {
            "read": _ts(utc_now()),
            "cpu_stats": {
                "cpu_usage": {"total_usage": sum(m.cpu_ns for m in members)},
                "system_cpu_usage": procs.system_cpu_ns(),
                "online_cpus": os.cpu_count() or 1,
            },
            "memory_stats": {
                "usage": sum(m.rss_bytes for m in members),
                "limit": memory_limit * 1024 * 1024,
            },
            "pids_stats": {"current": len(members)},
        }
        with self._lock:
            previous = self._previous.get(container.docker_id)
            self._previous[container.docker_id] = current
        empty_cpu = {"cpu_usage": {"total_usage": 0}, "system_cpu_usage": 0, "online_cpus": 0}
        return {
            "read": current["read"],
            "preread": previous["read"] if previous else "0001-01-01T00:00:00Z",
            "name": container.name,
            "id": container.docker_id,
            "num_procs": 0,
            "pids_stats": current["pids_stats"],
            "cpu_stats": current["cpu_stats"],
            "precpu_stats": previous["cpu_stats"] if previous else empty_cpu,
            "memory_stats": current["memory_stats"],
            "blkio_stats": {},
            "storage_stats": {},
            "networks": {},
        }


def create_metadata_app(task: LocalTask) -> Flask:
    """A Flask app serving the v4 metadata of ``task``'s containers under ``/v4/<docker-id>``."""
    app = Flask("ecslocal.metadata_endpoint")
    stats = StatsReader()

    def _container_or_404(docker_id: str) -> Container:
        container = task.container_by_docker_id(docker_id)
        if container is None:
            raise _NotFound()
        return container

    @app.get(f"{METADATA_PREFIX}<docker_id>")
    def container_document(docker_id: str):
        container = _container_or_404(docker_id)
        with task.lock:
            return jsonify(container_metadata(task, container))

    @app.get(f"{METADATA_PREFIX}<docker_id>/task")
    def task_document(docker_id: str):
        _container_or_404(docker_id)
        with task.lock:
            return jsonify(task_metadata(task))

    @app.get(f"{METADATA_PREFIX}<docker_id>/taskWithTags")
    def task_with_tags(docker_id: str):
        _container_or_404(docker_id)
        with task.lock:
            return jsonify(task_metadata(task, with_tags=True))

    @app.get(f"{METADATA_PREFIX}<docker_id>/stats")
    def container_stats(docker_id: str):
        container = _container_or_404(docker_id)
        return jsonify(stats.read(task, container))

    @app.get(f"{METADATA_PREFIX}<docker_id>/task/stats")
    def task_stats(docker_id: str):
        _container_or_404(docker_id)
        return jsonify({c.docker_id: stats.read(task, c) for c in task.containers})

    inner = app.wsgi_app

    def without_trailing_slash(environ: dict[str, Any], start_response: Any) -> Any:
        # The ECS agent answers `${URI}/task/` like `${URI}/task`: on every path.
        path = environ.get("PATH_INFO", "")
        if len(path) > len(METADATA_PREFIX) and path.endswith("/"):
            environ["PATH_INFO"] = path.rstrip("/")
        return inner(environ, start_response)

    app.wsgi_app = without_trailing_slash  # type: ignore[method-assign]

    @app.errorhandler(_NotFound)
    def not_found(_exc: Exception):
        response = jsonify(code="NotFound", message="no container with that id in this task")
        response.status_code = 404
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        response = jsonify(code=exc.name.replace(" ", ""), message=exc.description or exc.name)
        response.status_code = exc.code or 500
        return response

    return app


class _NotFound(Exception):
    """No container in the task has the id in the path."""
