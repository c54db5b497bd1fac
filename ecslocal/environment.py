"""The environment a container gets: what Fargate sets, and nothing of the caller's.

ECS builds it from the image's ``ENV``, the task definition's ``environment`` and resolved
``secrets``, and the variables the agent injects (credentials endpoint, metadata endpoint, region,
execution environment). Locally it adds the basics a process needs (``PATH`` with the project's
virtualenv first, ``HOME``, ``LANG``), points ``AWS_ENDPOINT_URL`` at moto, and shuts every other way
to credentials (config and credentials files, the EC2 instance metadata service).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EXECUTION_ENV = "AWS_ECS_FARGATE"
BIND_HOST_VAR = "BIND_HOST"
LOOPBACK = "127.0.0.1"
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Image variables that name places inside the image; locally the runtime sets its own.
_IMAGE_VARS_REPLACED = frozenset({"PATH", "HOME", "HOSTNAME", "VIRTUAL_ENV"})
# Files and services botocore would otherwise consult before (or instead of) the task role.
# The runtime's own process and a ``make demo-env`` shell shut them the same way.
ISOLATION = {
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}


@dataclass(frozen=True)
class TaskEndpoints:
    """Where the container finds its credentials and metadata, and AWS."""

    credentials_full_uri: str
    authorization_token: str = field(repr=False)
    metadata_uri: str
    aws_endpoint_url: str
    region: str


def definition_environment(definition: Mapping[str, Any]) -> dict[str, str]:
    """The task definition's ``environment`` list as a mapping."""
    return {str(e["name"]): str(e.get("value", "")) for e in definition.get("environment") or []}


def image_environment(image_env: Mapping[str, str]) -> dict[str, str]:
    """The image's ``ENV`` values that make sense outside the image."""
    return {
        key: value
        for key, value in image_env.items()
        if key not in _IMAGE_VARS_REPLACED and "$" not in value
    }


def port_variables(definition: Mapping[str, Any], published_port: int) -> dict[str, str]:
    """Environment entries that publish the container port on ``127.0.0.1:<published_port>``.

    With ``awsvpc`` the container owns its port in its own network namespace; locally every task
    shares the host's network, so the runtime publishes the container port by giving the variable
    the task definition binds it with (the entry whose value is the container port) the published
    port, and keeps it on loopback with ``BIND_HOST`` (read by docker/gunicorn.conf.py), as
    ``docker run -p 127.0.0.1:PORT:PORT`` would.
    """
    container_ports = {str(m.get("containerPort")) for m in definition.get("portMappings") or []}
    variables = {
        name: str(published_port)
        for name, value in definition_environment(definition).items()
        if value in container_ports
    }
    variables[BIND_HOST_VAR] = LOOPBACK
    return variables


def container_environment(
    definition: Mapping[str, Any],
    *,
    secrets: Mapping[str, str],
    endpoints: TaskEndpoints,
    venv_bin: Path,
    home: Path,
    image_env: Mapping[str, str] | None = None,
    published_port: int | None = None,
    overrides: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The complete environment of the container process.

    ``overrides`` are RunTask-style container overrides (applied over the task definition's
    ``environment``).
    """
    env: dict[str, str] = {
        "PATH": f"{venv_bin}:{SYSTEM_PATH}",
        "HOME": str(home),
        "LANG": "C.UTF-8",
    }
    env.update(image_environment(image_env or {}))
    env.update(definition_environment(definition))
    if published_port is not None:
        env.update(port_variables(definition, published_port))
    env.update(overrides or {})
    env.update(secrets)
    env.update(ISOLATION)
    env.update(
        {
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": endpoints.credentials_full_uri,
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": endpoints.authorization_token,
            "ECS_CONTAINER_METADATA_URI_V4": endpoints.metadata_uri,
            "AWS_EXECUTION_ENV": EXECUTION_ENV,
            "AWS_REGION": endpoints.region,
            "AWS_DEFAULT_REGION": endpoints.region,
            "AWS_ENDPOINT_URL": endpoints.aws_endpoint_url,
        }
    )
    return env
