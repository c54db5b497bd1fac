"""Fixtures: a whole local runtime in a process of its own, shared by the integration tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ecslocal.runtime_process import RuntimeProcess

# What a developer's shell may hold; none of it may reach the runtime's AWS calls or the container.
CALLER_AWS_SETTINGS = {
    "AWS_ACCESS_KEY_ID": "AKIACALLERSHELLKEY00",
    "AWS_SECRET_ACCESS_KEY": "caller-shell-secret-must-not-leak",
    "AWS_SESSION_TOKEN": "caller-shell-session-token",
    "AWS_PROFILE": "caller-profile-that-does-not-exist",
    "AWS_REGION": "eu-west-3",
    "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/caller",
}


@pytest.fixture(scope="session")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RuntimeProcess]:
    """``python -m ecslocal run`` with 15-minute role sessions (SDKs fetch on every call)."""
    process = RuntimeProcess(
        tmp_path_factory.mktemp("runtime"),
        ("--credentials-duration", "900"),
        name="the local runtime",
        extra_env=CALLER_AWS_SETTINGS,
    ).start()
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="session")
def state(runtime: RuntimeProcess) -> dict[str, Any]:
    return runtime.state
