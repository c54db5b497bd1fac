"""Batch calls that half succeed: every entry's fate is reported, and confirm loses no message.

SQS answers a batch call with 200 and lists failed entries apart; moto never does for valid input,
so these tests give a real botocore SQS client canned answers with botocore's own Stubber (which
also checks each request against the SQS API model).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from artifacts.context import DeploymentContext
from service.messages import QUEUE_NAMES, OutgoingMessage
from service.queues import (
    REDELIVERY,
    RELEASED,
    Queue,
    ServiceQueues,
    confirm,
    send_batch,
)

CONTEXT = DeploymentContext()
QUEUES = ServiceQueues(
    *(
        Queue(api_name, CONTEXT.queue_url(name), CONTEXT.queue_arn(name))
        for api_name, name in zip(QUEUE_NAMES, CONTEXT.queue_names, strict=True)
    )
)


@pytest.fixture
def sqs() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client(
        "sqs",
        region_name=CONTEXT.region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def failed(entry_id: str, code: str) -> dict[str, Any]:
    return {"Id": entry_id, "Code": code, "Message": f"{code} happened", "SenderFault": True}


def received(*ids: str) -> dict[str, Any]:
    return {
        "Messages": [
            {
                "MessageId": message_id,
                "ReceiptHandle": f"handle-{message_id}",
                "Body": f"body of {message_id}",
                "Attributes": {"ApproximateReceiveCount": "1"},
            }
            for message_id in ids
        ]
    }


def test_batch_reports_sent_failed_and_unreported_entries(sqs: tuple[Any, Stubber]) -> None:
    client, stubber = sqs
    stubber.add_response(
        "send_message_batch",
        {
            "Successful": [{"Id": "0", "MessageId": "m-0", "MD5OfMessageBody": "x"}],
            "Failed": [failed("1", "InvalidMessageContents")],
        },
        {"QueueUrl": QUEUES.pending.url, "Entries": ANY},
    )
    messages = [OutgoingMessage(body) for body in ("a", "b", "c")]

    results = send_batch(client, QUEUES.pending, messages)

    assert results[0] == "m-0"
    assert (results[1].code, results[1].sender_fault) == ("InvalidMessageContents", True)
    assert results[2].code == "NoResult"  # neither listed: reported, not taken for sent


def test_confirm_releases_a_message_whose_forward_was_not_reported(
    sqs: tuple[Any, Stubber],
) -> None:
    client, stubber = sqs
    stubber.add_response("receive_message", received("a", "b"))
    # SQS lists only the first copy as sent.
    stubber.add_response(
        "send_message_batch",
        {"Successful": [{"Id": "0", "MessageId": "copy-a", "MD5OfMessageBody": "x"}], "Failed": []},
        {"QueueUrl": QUEUES.confirmed.url, "Entries": ANY},
    )
    stubber.add_response(
        "change_message_visibility_batch",
        {"Successful": [{"Id": "0"}], "Failed": []},
        {
            "QueueUrl": QUEUES.pending.url,
            "Entries": [{"Id": "0", "ReceiptHandle": "handle-b", "VisibilityTimeout": 0}],
        },
    )
    stubber.add_response(
        "delete_message_batch",
        {"Successful": [{"Id": "0"}], "Failed": []},
        {"QueueUrl": QUEUES.pending.url, "Entries": [{"Id": "0", "ReceiptHandle": "handle-a"}]},
    )

    result = confirm(client, QUEUES, max_messages=2, wait_seconds=0).to_json()

    assert result["confirmed"] == [{"message_id": "a", "confirmed_message_id": "copy-a"}]
    assert [(f["message_id"], f["stage"], f["code"], f["outcome"]) for f in result["failed"]] == [
        ("b", "forward", "NoResult", RELEASED)
    ]


def test_confirm_reports_a_forwarded_message_it_could_not_delete(
    sqs: tuple[Any, Stubber],
) -> None:
    client, stubber = sqs
    stubber.add_response("receive_message", received("a", "b"))
    stubber.add_response(
        "send_message_batch",
        {
            "Successful": [
                {"Id": "0", "MessageId": "copy-a", "MD5OfMessageBody": "x"},
                {"Id": "1", "MessageId": "copy-b", "MD5OfMessageBody": "x"},
            ],
            "Failed": [],
        },
        {"QueueUrl": QUEUES.confirmed.url, "Entries": ANY},
    )
    stubber.add_response(
        "delete_message_batch",
        {"Successful": [{"Id": "0"}], "Failed": [failed("1", "ReceiptHandleIsInvalid")]},
        {"QueueUrl": QUEUES.pending.url, "Entries": ANY},
    )

    result = confirm(client, QUEUES, max_messages=2, wait_seconds=0).to_json()

    assert [c["message_id"] for c in result["confirmed"]] == ["a"]
    assert [(f["message_id"], f["stage"], f["outcome"]) for f in result["failed"]] == [
        ("b", "delete", REDELIVERY)
    ]
