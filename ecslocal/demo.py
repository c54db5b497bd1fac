"""What the runtime prints once the task is healthy: where it is, who runs as what, what to try.

The ``demo`` banner shows the API key (the demo is for trying the service by hand); the ``run``
banner never does (tests and logs read that output) and points at ``make demo-env`` instead.
"""

from __future__ import annotations

import json
import shlex
import urllib.error
import urllib.request
from typing import Any

from ecslocal.console import Console

WHOAMI_TIMEOUT = 10


def fetch_whoami(service_url: str, api_key: str) -> dict[str, Any]:
    """The service's own ``/whoami`` (the identity the container really holds)."""
    request = urllib.request.Request(  # noqa: S310 - the local service's loopback URL
        f"{service_url}/whoami", headers={"X-Api-Key": api_key}
    )
    try:
        with urllib.request.urlopen(request, timeout=WHOAMI_TIMEOUT) as response:  # noqa: S310
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        try:
            return json.loads(exc.read())
        except ValueError:
            return {"error": {"message": f"HTTP {exc.code}"}}
    except (OSError, ValueError) as exc:
        return {"error": {"message": str(exc)}}


def describe_container_identity(whoami: dict[str, Any]) -> str:
    """One line: the ARN the service holds and where its credentials came from."""
    if "arn" not in whoami:
        message = (whoami.get("error") or {}).get("message", "unknown")
        return f"(cannot tell: {message})"
    source = (whoami.get("credentials") or {}).get("source", "?")
    return f"{whoami['arn']} (credentials from {source})"


def curl_examples(service_url: str, key_expr: str) -> list[str]:
    """Ready-to-paste commands; ``key_expr`` is the key itself or a shell variable reference."""
    header = f'-H "X-Api-Key: {key_expr}"'
    body = shlex.quote(json.dumps({"body": "hello from the demo"}))
    return [
        f"curl -s {service_url}/whoami {header}",
        f"curl -s -X POST {service_url}/messages {header} -H 'Content-Type: application/json' -d {body}",
        f"curl -s '{service_url}/messages?queue=pending&wait=1' {header}",
        f"curl -s -X POST {service_url}/messages/confirm {header} -H 'Content-Type: application/json' -d '{{}}'",
        f"curl -s '{service_url}/messages?queue=confirmed' {header}",
    ]


def _console_lines(runtime: Any, with_secrets: bool) -> list[str]:
    """Where the console is: with its one-time login link in the demo banner only."""
    url = runtime.console_url
    if url is None:
        return []
    token = runtime.console_auth.login_token() if with_secrets else None
    if token:
        return [f"  console          {url}?token={token}  (one-time link; then the API key)"]
    return [f"  console          {url}  (sign in with the API key)"]


def print_banner(runtime: Any, console: Console, with_secrets: bool) -> None:
    """The summary of a started runtime."""
    account = runtime.account
    task = runtime.task
    whoami = fetch_whoami(runtime.service_url, runtime.api_key)
    execution = runtime.execution_credentials.current().principal_arn
    served = runtime.task_credentials.current().principal_arn
    lines = [
        "",
        "Local ECS task is running and healthy. Ctrl-C stops it (SIGTERM, stopTimeout, SIGKILL).",
        "",
        f"  service URL      {runtime.service_url}",
    ]
    if with_secrets:
        lines.append(f"  API key          {runtime.api_key}")
    else:
        lines.append("  API key          not shown here: `make demo-env` prints it")
    lines += [
        *_console_lines(runtime, with_secrets),
        f"  task             {task.task_arn}",
        f"  AWS (moto)       {runtime.endpoint}  IAM enforcement on",
        "",
        "Who runs as what:",
        "  bootstrap        admin, before enforcement: created roles, queues, secret, logs, image",
        f"  local agent      {account.agent.arn} (stands for ecs-tasks.amazonaws.com;",
        "                   may only assume the two roles)",
        f"  execution role   {execution}",
        "                   checked the image in ECR, read the API key from SSM, ships the logs",
        f"  credentials      {served}",
        f"   endpoint        at {runtime.credentials_uri} (token required)",
        f"  container        {describe_container_identity(whoami)}",
        "",
        "Try:",
    ]
    key_expr = runtime.api_key if with_secrets else "$API_KEY"
    if not with_secrets:
        lines.append('  eval "$(make -s demo-env)"')
    lines += [f"  {command}" for command in curl_examples(runtime.service_url, key_expr)]
    lines += [
        "",
        "A shell inside the task: in another terminal run",
        '  eval "$(make -s demo-env)"   then e.g.  aws sts get-caller-identity  or',
        "  python -m service whoami",
        "",
    ]
    console.raw("\n".join(lines))
