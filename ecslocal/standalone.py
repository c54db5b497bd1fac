"""``python -m ecslocal endpoints``: only the credentials and metadata endpoints, for a container run elsewhere.

Where the service runs in a container started by hand (not by ``run``) it still needs what ECS gives a
task: the credentials endpoint, here in its ``RELATIVE_URI`` form (no token: on ECS only the task
can reach 169.254.170.2), and the task metadata endpoint v4. The role is assumed with the AWS
credentials of this process's environment (the local agent's keys), with the task id as the session
name, and re-issued before it expires.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import signal
import sys
import threading
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from artifacts.context import LOCAL_REGION, DeploymentContext
from artifacts.loader import ArtifactError
from artifacts.render import render_artifacts
from ecslocal.agent import describe_client_error
from ecslocal.credentials import RotatingCredentials
from ecslocal.credentials_endpoint import CREDENTIALS_PATH, create_credentials_app
from ecslocal.httpserve import ServedApp
from ecslocal.metadata_endpoint import METADATA_PREFIX, create_metadata_app
from ecslocal.roles import role_issuer
from ecslocal.task import LocalTask, new_task_id
from ecslocal.wsgi import path_dispatcher

# Stable docker ids for a given --task-id, so a container's environment can name the metadata URI up front.
FIRST_DOCKER_ID_SUFFIX = 1_000_000_000
_TASK_ID_RE = re.compile(r"^[0-9a-f]{32}$")


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (IPv6 hosts in brackets)."""
    host, sep, port = text.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ValueError(f"--listen {text!r} is not HOST:PORT")
    return host, int(port)


def _task_definition_arn(session: boto3.Session, endpoint: str, family: str, context: Any) -> str:
    """The registered revision when these credentials may read it, else revision 1."""
    try:
        ecs = session.client("ecs", endpoint_url=endpoint)
        return ecs.describe_task_definition(taskDefinition=family)["taskDefinition"][
            "taskDefinitionArn"
        ]
    except (ClientError, BotoCoreError):
        return context.arn("ecs", f"task-definition/{family}:1")


def serve_endpoints(args: argparse.Namespace) -> int:
    """Serve until SIGINT or SIGTERM; the exit status."""
    try:
        host, port = parse_listen(args.listen)
    except ValueError as exc:
        print(f"ecslocal: {exc}", file=sys.stderr)
        return 2
    if args.task_id and not _TASK_ID_RE.match(args.task_id):
        print(
            f"ecslocal: --task-id {args.task_id!r} is not 32 lowercase hex digits", file=sys.stderr
        )
        return 2
    region = args.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    region = region or LOCAL_REGION
    endpoint = args.aws_endpoint.rstrip("/")
    session = boto3.Session(region_name=region)
    sts = session.client("sts", endpoint_url=endpoint)
    try:
        account_id = sts.get_caller_identity()["Account"]
        context = DeploymentContext(account_id=account_id, region=region, sqs_endpoint=endpoint)
        artifacts = render_artifacts(context, args.policies_dir, args.taskdef)
    except (ClientError, BotoCoreError) as exc:
        print(
            f"ecslocal: cannot use the AWS credentials of the environment at {endpoint}: "
            f"{describe_client_error(exc)}",
            file=sys.stderr,
        )
        return 1
    except (ArtifactError, ValueError) as exc:
        print(f"ecslocal: {exc}", file=sys.stderr)
        return 1
    task_definition = artifacts.task_definition
    role_arn = args.role_arn or task_definition.get("taskRoleArn", "")
    task = LocalTask.start(
        context,
        task_definition,
        _task_definition_arn(session, endpoint, context.task_family, context),
        args.task_id or new_task_id(),
    )
    for index, container in enumerate(task.containers):
        container.docker_id = f"{task.task_id}-{FIRST_DOCKER_ID_SUFFIX + index}"
        # The container runs elsewhere: reported as running, without statistics.
        task.container_created(container)
        task.container_started(container, pid=None)
    credentials_id = args.credentials_id or secrets.token_hex(16)
    rotating = RotatingCredentials(
        role_issuer(sts, role_arn, task.task_id, args.credentials_duration)
    )
    try:
        first = rotating.current()
    except (ClientError, BotoCoreError) as exc:
        print(f"ecslocal: cannot assume {role_arn}: {describe_client_error(exc)}", file=sys.stderr)
        return 1
    app = path_dispatcher(
        {
            CREDENTIALS_PATH: create_credentials_app({credentials_id: rotating}, token=None),
            METADATA_PREFIX: create_metadata_app(task),
        }
    )
    try:
        served = ServedApp(app, host, port, name="endpoints")
    except OSError as exc:
        print(f"ecslocal: cannot listen on {host}:{port}: {exc.strerror}", file=sys.stderr)
        return 1
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    served.start()
    docker_id = task.containers[0].docker_id if task.containers else ""
    print(f"serving {first.principal_arn} (task {task.task_arn})")
    print(f"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI={CREDENTIALS_PATH}{credentials_id}")
    print(f"AWS_CONTAINER_CREDENTIALS_FULL_URI={served.base_url}{CREDENTIALS_PATH}{credentials_id}")
    print(
        f"ECS_CONTAINER_METADATA_URI_V4={served.base_url}{METADATA_PREFIX}{docker_id}", flush=True
    )
    try:
        stop.wait()
    finally:
        served.stop()
    return 0
