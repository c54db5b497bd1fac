"""SIGTERM while a 20 s long poll is in flight: gunicorn finishes it, and no message is lost.

Real processes: a moto server, gunicorn as in production, and a loopback TCP relay between them
that tells the test the moment the service's ReceiveMessage reaches AWS (an event, not a sleep).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import pytest
import requests

from tests.service.conftest import CONTEXT
from tests.support.processes import (
    create_service_queues,
    free_port,
    made_up_keys,
    moto_server_process,
    service_env,
    start_gunicorn,
    stop,
    wait_for_http,
)
from tests.support.relay import Relay

pytestmark = pytest.mark.integration


@pytest.fixture
def moto_endpoint() -> Iterator[str]:
    with moto_server_process() as endpoint:
        yield endpoint


def test_sigterm_during_a_long_poll_finishes_it_and_loses_no_message(
    moto_endpoint: str, tmp_path: Path
) -> None:
    keys = made_up_keys()
    sqs = boto3.client(
        "sqs",
        region_name=CONTEXT.region,
        endpoint_url=moto_endpoint,
        aws_access_key_id=keys["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=keys["AWS_SECRET_ACCESS_KEY"],
    )
    pending, confirmed = create_service_queues(sqs)
    relay = Relay(int(moto_endpoint.rsplit(":", 1)[1]), b"ReceiveMessage")
    port = free_port()
    env = service_env(
        f"http://127.0.0.1:{relay.port}",
        pending,
        confirmed,
        port,
        WEB_CONCURRENCY="1",
        **keys,
    )
    process = start_gunicorn(env, (tmp_path / "out.log"))
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{url}/healthz", timeout=25, process=process)
        with ThreadPoolExecutor(max_workers=1) as pool:
            poll = pool.submit(
                requests.get, f"{url}/messages?queue=pending&max=10&wait=20", timeout=40
            )
            assert relay.seen.wait(10), "the long poll never reached SQS"
            process.send_signal(signal.SIGTERM)
            sent = {
                sqs.send_message(QueueUrl=pending, MessageBody=f"m{i}")["MessageId"]
                for i in range(3)
            }
            response = poll.result()
        assert process.wait(timeout=30) == 0
    finally:
        stop(process)
        relay.close()
    # The poll in flight was allowed to finish: it answered, with the messages that arrived.
    assert response.status_code == 200
    delivered = {message["message_id"] for message in response.json()["messages"]}
    assert delivered <= sent
    # Nothing was deleted: every message is delivered to the client or still in the queue (in
    # flight until its visibility timeout, then visible again).
    attributes = sqs.get_queue_attributes(
        QueueUrl=pending,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    in_queue = int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )
    assert in_queue == len(sent)
    assert int(attributes["ApproximateNumberOfMessagesNotVisible"]) == len(delivered)
