"""A gunicorn worker SIGKILLed in the middle of confirming 200 messages: every message is counted.

Each message ends up in pending or in confirmed; a message confirmed twice (the killed worker had
forwarded it but not deleted it) is a duplicate in confirmed that carries its original message id.
Real processes: a moto server and gunicorn as in production.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import pytest
import requests

from service.messages import ORIGINAL_ID_ATTRIBUTE
from tests.service.conftest import CONTEXT
from tests.support.processes import (
    free_port,
    made_up_keys,
    moto_server_process,
    service_env,
    start_gunicorn,
    stop,
    wait_for_http,
)

pytestmark = pytest.mark.integration

MESSAGES = 200
# Messages the killed worker had received come back after this (the queue's visibility timeout).
VISIBILITY_SECONDS = 2


def workers_of(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def drain(sqs: object, url: str) -> list[dict]:
    """Every message of a queue (received with a long visibility, so each once)."""
    seen: list[dict] = []
    while True:
        batch = sqs.receive_message(  # type: ignore[attr-defined]
            QueueUrl=url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=300,
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not batch:
            return seen
        seen.extend(batch)


def test_worker_killed_while_confirming_loses_no_message(tmp_path: Path) -> None:
    with moto_server_process() as moto:
        sqs = boto3.client(
            "sqs",
            region_name=CONTEXT.region,
            endpoint_url=moto,
            aws_access_key_id="AKIAFIXTURE000000000",
            aws_secret_access_key="fixture-secret",
        )
        pending = sqs.create_queue(
            QueueName=CONTEXT.pending_queue_name,
            Attributes={"VisibilityTimeout": str(VISIBILITY_SECONDS)},
        )["QueueUrl"]
        confirmed = sqs.create_queue(QueueName=CONTEXT.confirmed_queue_name)["QueueUrl"]
        sent: set[str] = set()
        for start in range(0, MESSAGES, 10):
            entries = [{"Id": str(i), "MessageBody": f"m{start + i}"} for i in range(10)]
            response = sqs.send_message_batch(QueueUrl=pending, Entries=entries)
            sent.update(entry["MessageId"] for entry in response["Successful"])
        assert len(sent) == MESSAGES

        port = free_port()
        env = service_env(
            moto,
            pending,
            confirmed,
            port,
            **made_up_keys(),
            WEB_CONCURRENCY="2",
        )
        process = start_gunicorn(env, (tmp_path / "out.log"))
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for_http(f"{url}/healthz", timeout=25, process=process)

            def confirm() -> int:
                try:
                    return requests.post(
                        f"{url}/messages/confirm", json={"max": 10}, timeout=20
                    ).status_code
                except requests.ConnectionError:
                    return 0  # the worker died under this request

            statuses: list[int] = []
            killed = False
            deadline = time.monotonic() + 40
            with ThreadPoolExecutor(max_workers=4) as pool:
                while time.monotonic() < deadline:
                    statuses.extend(pool.map(lambda _: confirm(), range(4)))
                    if not killed and len(statuses) >= 8:
                        os.kill(workers_of(process.pid)[0], signal.SIGKILL)
                        killed = True
                    counts = sqs.get_queue_attributes(
                        QueueUrl=pending,
                        AttributeNames=[
                            "ApproximateNumberOfMessages",
                            "ApproximateNumberOfMessagesNotVisible",
                        ],
                    )["Attributes"]
                    if killed and not any(int(value) for value in counts.values()):
                        break
        finally:
            stop(process)
        assert killed
        assert set(statuses) <= {0, 200, 502, 503}

        left = {message["MessageId"] for message in drain(sqs, pending)}
        copies = drain(sqs, confirmed)
        originals = Counter(
            message["MessageAttributes"][ORIGINAL_ID_ATTRIBUTE]["StringValue"] for message in copies
        )
    # Every copy in confirmed names a message that was sent; every sent message is somewhere.
    assert set(originals) <= sent
    assert left <= sent
    assert set(originals) | left == sent
    # A message is in pending or in confirmed, not both (it is deleted only once forwarded).
    assert not left & set(originals)
    duplicates = sum(count - 1 for count in originals.values())
    assert len(copies) == len(originals) + duplicates
