"""Calls to a running local task's service, as the runtime's state file describes it."""

from __future__ import annotations

from typing import Any

import requests

from artifacts.context import DeploymentContext

TIMEOUT = 30


def api(state: dict[str, Any], method: str, path: str, **kwargs: Any) -> requests.Response:
    """One request to the task's service with its API key (extra headers are kept)."""
    headers = {"X-Api-Key": state["api_key"], **kwargs.pop("headers", {})}
    return requests.request(
        method, state["service_url"] + path, headers=headers, timeout=TIMEOUT, **kwargs
    )


def assert_whoami_is_the_task_role(state: dict[str, Any]) -> None:
    """``/whoami`` answers as the task role, found by boto3 through the container endpoint."""
    body = api(state, "GET", "/whoami").json()
    role = DeploymentContext().task_role_name
    assert body["credentials"]["source"] == "container-role"
    assert body["arn"] == (
        f"arn:aws:sts::{state['account_id']}:assumed-role/{role}/{state['task_id']}"
    )
    assert body["session_name"] == state["task_id"]
    assert body["warnings"] == []
