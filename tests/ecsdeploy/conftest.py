"""A moto server in its own process for the deploy command's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.processes import moto_server_process


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with moto_server_process() as url:
        yield url
