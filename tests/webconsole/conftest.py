"""Fixtures: a local runtime with its console (in a process of its own) and a real browser."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from artifacts.render import PROJECT_ROOT
from ecslocal.runtime_process import RuntimeProcess
from tests.service.secret_guard import SecretGuard

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = PROJECT_ROOT / "test-artifacts"


@pytest.fixture(scope="session")
def console_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RuntimeProcess]:
    """``python -m ecslocal run`` with the console on a free port."""
    process = RuntimeProcess(tmp_path_factory.mktemp("console"), (), "the console's runtime")
    process.start()
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()


class RuntimeState(dict):
    """The state file's contents; its repr (in failure output) names the task, not the secrets."""

    def __repr__(self) -> str:
        return f"<runtime state of task {self.get('task_id')}>"


@pytest.fixture
def state(console_runtime: RuntimeProcess, secret_guard: SecretGuard) -> dict[str, Any]:
    """The runtime's state; its secrets are registered with the guard."""
    state = RuntimeState(console_runtime.state)
    secret_guard.register(
        state["api_key"],
        state["authorization_token"],
        state["operator"]["secret_access_key"],
        state["agent"]["secret_access_key"],
    )
    return state


def browser_path() -> str | None:
    """Debian's chromium, where it is installed."""
    found = shutil.which("chromium") or (str(CHROMIUM) if CHROMIUM.exists() else None)
    return found


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless chromium driven by Playwright; skipped (or failed, in CI) when there is none."""
    executable = browser_path()
    if executable is None:
        reason = "no chromium browser on this machine (make test installs it with apt as root)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable)
        try:
            yield browser
        finally:
            browser.close()
