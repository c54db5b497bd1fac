"""The OpenAPI document is the contract: schemathesis checks the real gunicorn server against it.

Every check, the API key sent, a fixed seed and a bounded number of examples per operation: the run
must find nothing. The server runs as in the container, against a moto server in its own process.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.service.secret_guard import GUARD
from tests.service.test_gunicorn_integration import MotoAws, Service, moto_aws, running_service

__all__ = ["moto_aws"]  # the module-scoped moto server fixture, shared with the gunicorn tests

pytestmark = pytest.mark.integration

SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")
SEED = 20261202
EXAMPLES_PER_OPERATION = 12


@pytest.fixture(scope="module")
def service(moto_aws: MotoAws, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    with running_service(moto_aws, tmp_path_factory.mktemp("contract"), GUARD) as running:
        yield running


def test_schemathesis_finds_no_failure_with_every_check(
    service: Service, moto_aws: MotoAws, tmp_path: Path
) -> None:
    # Messages in both queues: receives answer at once instead of waiting out a 20 s long poll.
    for url in (moto_aws.pending_url, moto_aws.confirmed_url):
        for start in range(0, 600, 10):
            entries = [{"Id": str(i), "MessageBody": f"m{start + i}"} for i in range(10)]
            moto_aws.sqs.send_message_batch(QueueUrl=url, Entries=entries)
    command = [
        SCHEMATHESIS,
        "run",
        f"{service.url}/openapi.json",
        "--checks",
        "all",
        "--header",
        f"Authorization: Bearer {service.api_key}",
        "--seed",
        str(SEED),
        "--max-examples",
        str(EXAMPLES_PER_OPERATION),
        # Examples and fuzzing, seeded: the coverage phase walks every boundary, 20 s waits included,
        # which does not fit the time budget of the suite.
        "--phases",
        "examples,fuzzing",
        "--max-time",
        "35",
        "--request-timeout",
        "30",
        "--output-sanitize",
        "true",
        "--no-color",
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=90, cwd=tmp_path, check=False
    )
    GUARD.observe("schemathesis stdout", result.stdout.encode())
    output = result.stdout.replace(service.api_key, "<api key>")
    assert result.returncode == 0, output[-6000:]
    assert "No issues found" in output, output[-3000:]
