"""Suite-wide fixtures and the secret guard.

The guard's hooks (tests/service/secret_guard.py) fail any test whose responses, log records or
captured output contain a secret access key, session token or other secret issued or used in the
run, and fail the session if a leak turns up later.
"""

from __future__ import annotations

import pytest

from service.logs import configure_logging
from tests.service.secret_guard import (  # noqa: F401 - pytest hooks, registered by name
    GUARD,
    SecretGuard,
    pytest_configure,
    pytest_runtest_makereport,
    pytest_sessionfinish,
    pytest_unconfigure,
)


@pytest.fixture
def secret_guard() -> SecretGuard:
    """The run's guard: register secrets given to subprocesses, observe what they print."""
    return GUARD


@pytest.fixture(scope="session", autouse=True)
def service_logging() -> None:
    """Install the service's JSON log handler once, bound to the run's own output capture.

    Installed by the first app otherwise, it could bind to a test's ``capsys`` stream, which closes
    when that test ends.
    """
    configure_logging()
