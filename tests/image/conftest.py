"""Fixtures: a Docker engine (or a skip), the image built once per session, a runtime on ENGINE=docker.

Without an engine the tests skip with one line; ``REQUIRE_DOCKER=1`` (set by ``.ci/run``) turns that
skip into a failure, so CI cannot pass without building and running the image.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator

import pytest

from ecslocal.image import LOCAL_IMAGE, engine_answers, ensure_image
from ecslocal.runtime_process import RuntimeProcess

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def image(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The service image, built when missing or stale (one build across xdist workers)."""
    if not engine_answers():
        reason = "no Docker engine answers (docker info failed); as root: docker/engine.sh all"
        if os.environ.get("REQUIRE_DOCKER") == "1":
            pytest.fail(f"REQUIRE_DOCKER=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    # The base temp dir's parent is shared by the workers of one run: a lock there serialises builds.
    lock_path = tmp_path_factory.getbasetemp().parent / "image-build.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        ensure_image(LOCAL_IMAGE, say=lambda _: None)
    return LOCAL_IMAGE


@pytest.fixture(scope="session")
def docker_runtime(
    image: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RuntimeProcess]:
    """One runtime on ENGINE=docker, shared by the tests that only look at it."""
    process = RuntimeProcess(
        tmp_path_factory.mktemp("docker-runtime"), ("--engine", "docker"), name="the docker runtime"
    ).start()
    try:
        process.wait_ready(timeout=120)
        yield process
    finally:
        process.stop()
