"""Every SQS operation the service performs, each declared with the IAM action it needs.

Functions take the SQS client and a :class:`Queue` and return plain values; botocore errors leave
as domain errors (:mod:`service.awserrors`). Batch calls need the singular IAM actions
(``SendMessageBatch`` is authorised by ``sqs:SendMessage``), so they are declared that way.

Confirm never loses a message: a message is deleted from pending only after its copy reached
confirmed; a message whose forward failed is released (visibility 0) or, if even that fails, comes
back by itself when its visibility timeout ends.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from service.awscalls import QUEUES, calls
from service.awserrors import aws_errors
from service.config import QueueUrl, Settings
from service.errors import ServiceError
from service.messages import (
    CONFIRMED_QUEUE,
    MAX_MESSAGE_BYTES,
    MAX_SQS_ATTRIBUTES,
    ORIGINAL_ID_ATTRIBUTE,
    PENDING_QUEUE,
    STRING_TYPE,
    OutgoingMessage,
)


@dataclass(frozen=True)
class Queue:
    """One of the service's queues: its API name (``pending``), URL and ARN."""

    name: str
    url: str
    arn: str


@dataclass(frozen=True)
class ServiceQueues:
    """The service's two queues: messages arrive in pending and are confirmed into confirmed."""

    pending: Queue
    confirmed: Queue

    @classmethod
    def from_settings(cls, settings: Settings) -> ServiceQueues:
        """The queues the settings name; a URL without a region takes the settings' region."""

        def queue(name: str, url: QueueUrl) -> Queue:
            return Queue(name=name, url=url.url, arn=url.arn(settings.region))

        return cls(
            pending=queue(PENDING_QUEUE, settings.pending_queue),
            confirmed=queue(CONFIRMED_QUEUE, settings.confirmed_queue),
        )

    def by_name(self, name: str) -> Queue:
        """The queue the API calls ``name`` (validated before: one of ``messages.QUEUE_NAMES``)."""
        return next(queue for queue in self if queue.name == name)

    def __iter__(self) -> Iterator[Queue]:
        return iter((self.pending, self.confirmed))


@dataclass(frozen=True)
class ReceivedMessage:
    """A message as received, with its raw SQS attributes kept for forwarding."""

    message_id: str
    body: str
    attributes: dict[str, str]
    receipt_handle: str
    receive_count: int
    sqs_attributes: dict[str, dict[str, Any]] = field(repr=False, default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "body": self.body,
            "attributes": self.attributes,
            "receipt_handle": self.receipt_handle,
            "receive_count": self.receive_count,
        }


@dataclass(frozen=True)
class EntryFailure:
    """Why one entry of a batch call failed."""

    code: str
    message: str
    sender_fault: bool


# What an entry of a batch call is when SQS lists it neither as successful nor as failed.
NO_RESULT = EntryFailure("NoResult", "SQS reported neither success nor failure", False)


def _sqs_attributes(attributes: dict[str, str]) -> dict[str, dict[str, str]]:
    return {
        name: {"DataType": STRING_TYPE, "StringValue": value} for name, value in attributes.items()
    }


def _attribute_text(attribute: dict[str, Any]) -> str:
    if attribute.get("DataType", "").startswith("Binary"):
        return base64.b64encode(attribute.get("BinaryValue", b"")).decode("ascii")
    return str(attribute.get("StringValue", ""))


def _entry_failure(entry: dict[str, Any]) -> EntryFailure:
    return EntryFailure(
        code=str(entry.get("Code", "")),
        message=str(entry.get("Message", "")),
        sender_fault=bool(entry.get("SenderFault", False)),
    )


@calls("sqs:SendMessage", on=QUEUES)
def send_message(sqs: Any, queue: Queue, message: OutgoingMessage) -> str:
    """Send one message; return its message id."""
    with aws_errors("sqs:SendMessage", queue.arn):
        response = sqs.send_message(
            QueueUrl=queue.url,
            MessageBody=message.body,
            MessageAttributes=_sqs_attributes(message.attributes),
        )
    return response["MessageId"]


@calls("sqs:SendMessage", on=QUEUES)
def send_batch(sqs: Any, queue: Queue, messages: list[OutgoingMessage]) -> list[str | EntryFailure]:
    """Send 1-10 messages in one call; per entry, its message id or why it failed."""
    entries = [
        {
            "Id": str(index),
            "MessageBody": message.body,
            "MessageAttributes": _sqs_attributes(message.attributes),
        }
        for index, message in enumerate(messages)
    ]
    with aws_errors("sqs:SendMessage", queue.arn):
        response = sqs.send_message_batch(QueueUrl=queue.url, Entries=entries)
    results: list[str | EntryFailure] = [NO_RESULT] * len(messages)
    for entry in response.get("Successful", []):
        results[int(entry["Id"])] = entry["MessageId"]
    for entry in response.get("Failed", []):
        results[int(entry["Id"])] = _entry_failure(entry)
    return results


@calls("sqs:ReceiveMessage", on=QUEUES)
def receive(sqs: Any, queue: Queue, max_messages: int, wait_seconds: int) -> list[ReceivedMessage]:
    """Receive up to ``max_messages``, long-polling up to ``wait_seconds``."""
    with aws_errors("sqs:ReceiveMessage", queue.arn):
        response = sqs.receive_message(
            QueueUrl=queue.url,
            MaxNumberOfMessages=max_messages,
            WaitTimeSeconds=wait_seconds,
            MessageAttributeNames=["All"],
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
        )
    received = []
    for message in response.get("Messages", []):
        sqs_attributes = message.get("MessageAttributes", {})
        received.append(
            ReceivedMessage(
                message_id=message["MessageId"],
                body=message.get("Body", ""),
                attributes={name: _attribute_text(value) for name, value in sqs_attributes.items()},
                receipt_handle=message["ReceiptHandle"],
                receive_count=int(message.get("Attributes", {}).get("ApproximateReceiveCount", 1)),
                sqs_attributes=sqs_attributes,
            )
        )
    return received


@calls("sqs:DeleteMessage", on=QUEUES)
def delete(sqs: Any, queue: Queue, receipt_handle: str) -> None:
    """Delete a received message: the work on it is done."""
    with aws_errors("sqs:DeleteMessage", queue.arn):
        sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=receipt_handle)


@calls("sqs:ChangeMessageVisibility", on=QUEUES)
def release(sqs: Any, queue: Queue, receipt_handle: str) -> None:
    """Make a received message visible again at once (visibility timeout 0)."""
    with aws_errors("sqs:ChangeMessageVisibility", queue.arn):
        sqs.change_message_visibility(
            QueueUrl=queue.url, ReceiptHandle=receipt_handle, VisibilityTimeout=0
        )


@calls("sqs:GetQueueAttributes", on=QUEUES)
def check_reachable(sqs: Any, queue: Queue) -> None:
    """Prove the queue exists and the credentials may read it (the readiness check)."""
    with aws_errors("sqs:GetQueueAttributes", queue.arn):
        sqs.get_queue_attributes(QueueUrl=queue.url, AttributeNames=["QueueArn"])


# -- confirm -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Confirmed:
    """A message moved to confirmed: its id in pending and the id of its copy in confirmed."""

    message_id: str
    confirmed_message_id: str

    def to_json(self) -> dict[str, Any]:
        return {"message_id": self.message_id, "confirmed_message_id": self.confirmed_message_id}


# What became of a message that could not be confirmed.
RELEASED = "released"  # visible in pending again now
VISIBILITY_TIMEOUT = "returns_after_visibility_timeout"  # release failed; SQS brings it back
REDELIVERY = "forwarded_will_be_redelivered"  # copy in confirmed, still in pending: duplicate


@dataclass(frozen=True)
class NotConfirmed:
    """A message confirm could not move: the stage that failed, why, and what became of it."""

    message_id: str
    stage: str  # "forward" or "delete"
    code: str
    message: str
    outcome: str

    def to_json(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "stage": self.stage,
            "code": self.code,
            "message": self.message,
            "outcome": self.outcome,
        }


@dataclass
class ConfirmResult:
    """What one confirm call did, message by message."""

    confirmed: list[Confirmed] = field(default_factory=list)
    failed: list[NotConfirmed] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "confirmed": [item.to_json() for item in self.confirmed],
            "failed": [item.to_json() for item in self.failed],
        }


def _forward_attributes(message: ReceivedMessage) -> dict[str, dict[str, Any]]:
    attributes = {
        name: {
            key: value
            for key, value in attribute.items()
            if key in ("DataType", "StringValue", "BinaryValue")
        }
        for name, attribute in message.sqs_attributes.items()
        if name != ORIGINAL_ID_ATTRIBUTE
    }
    attributes[ORIGINAL_ID_ATTRIBUTE] = {"DataType": STRING_TYPE, "StringValue": message.message_id}
    return attributes


def _sqs_size(body: str, attributes: dict[str, dict[str, Any]]) -> int:
    """A message's size as SQS counts it, for any attribute type."""
    size = len(body.encode("utf-8"))
    for name, attribute in attributes.items():
        value = attribute.get("BinaryValue")
        if value is None:
            value = str(attribute.get("StringValue", "")).encode("utf-8")
        size += len(name.encode("utf-8")) + len(attribute["DataType"].encode("utf-8")) + len(value)
    return size


@dataclass
class _Outcome:
    """Per message id: the result of one step, and the first error that failed a whole call."""

    results: dict[str, Any] = field(default_factory=dict)
    call_error: ServiceError | None = None

    def fail(self, messages: list[ReceivedMessage], error: ServiceError) -> None:
        failure = EntryFailure(error.code, error.message, False)
        self.results.update({message.message_id: failure for message in messages})
        self.call_error = self.call_error or error


@calls("sqs:SendMessage", on=QUEUES)
def _forward(sqs: Any, queue: Queue, messages: list[ReceivedMessage]) -> _Outcome:
    """Send copies of ``messages`` to ``queue``, in batches of at most 1 MiB.

    Per original message id: the copy's message id, or an :class:`EntryFailure`.
    """
    outcome = _Outcome()
    chunks: list[list[tuple[int, dict[str, Any], int]]] = [[]]
    for index, message in enumerate(messages):
        attributes = _forward_attributes(message)
        size = _sqs_size(message.body, attributes)
        if len(attributes) > MAX_SQS_ATTRIBUTES or size > MAX_MESSAGE_BYTES:
            outcome.results[message.message_id] = EntryFailure(
                "NoRoomForOriginalId",
                f"with {ORIGINAL_ID_ATTRIBUTE!r} added the message would have "
                f"{len(attributes)} attributes and {size} bytes; SQS allows "
                f"{MAX_SQS_ATTRIBUTES} and {MAX_MESSAGE_BYTES}",
                True,
            )
            continue
        if sum(item[2] for item in chunks[-1]) + size > MAX_MESSAGE_BYTES:
            chunks.append([])
        chunks[-1].append((index, attributes, size))
    for chunk in chunks:
        if not chunk:
            continue
        entries = [
            {"Id": str(index), "MessageBody": messages[index].body, "MessageAttributes": attributes}
            for index, attributes, _ in chunk
        ]
        try:
            with aws_errors("sqs:SendMessage", queue.arn):
                response = sqs.send_message_batch(QueueUrl=queue.url, Entries=entries)
        except ServiceError as error:
            outcome.fail([messages[index] for index, _, _ in chunk], error)
            continue
        for entry in response.get("Successful", []):
            outcome.results[messages[int(entry["Id"])].message_id] = entry["MessageId"]
        for entry in response.get("Failed", []):
            outcome.results[messages[int(entry["Id"])].message_id] = _entry_failure(entry)
    return outcome


@calls("sqs:DeleteMessage", on=QUEUES)
def _delete_all(sqs: Any, queue: Queue, messages: list[ReceivedMessage]) -> _Outcome:
    """Delete ``messages``; per message id that could not be deleted, an :class:`EntryFailure`."""
    outcome = _Outcome()
    entries = [
        {"Id": str(index), "ReceiptHandle": message.receipt_handle}
        for index, message in enumerate(messages)
    ]
    try:
        with aws_errors("sqs:DeleteMessage", queue.arn):
            response = sqs.delete_message_batch(QueueUrl=queue.url, Entries=entries)
    except ServiceError as error:
        outcome.fail(messages, error)
        return outcome
    for entry in response.get("Failed", []):
        outcome.results[messages[int(entry["Id"])].message_id] = _entry_failure(entry)
    return outcome


@calls("sqs:ChangeMessageVisibility", on=QUEUES)
def _release_all(sqs: Any, queue: Queue, messages: list[ReceivedMessage]) -> set[str]:
    """Release ``messages`` (visibility 0); return the ids released. Never raises."""
    entries = [
        {"Id": str(index), "ReceiptHandle": message.receipt_handle, "VisibilityTimeout": 0}
        for index, message in enumerate(messages)
    ]
    try:
        with aws_errors("sqs:ChangeMessageVisibility", queue.arn):
            response = sqs.change_message_visibility_batch(QueueUrl=queue.url, Entries=entries)
    except ServiceError:
        return set()  # the visibility timeout brings them back instead
    return {messages[int(entry["Id"])].message_id for entry in response.get("Successful", [])}


def confirm(
    sqs: Any,
    queues: ServiceQueues,
    max_messages: int,
    wait_seconds: int,
    receive_sqs: Any = None,
) -> ConfirmResult:
    """Move up to ``max_messages`` from pending to confirmed, each deleted only once forwarded.

    ``receive_sqs`` (default ``sqs``) makes the long poll: its read timeout must fit the wait.

    Per message: confirmed (copy in confirmed, deleted from pending) or not, with the stage that
    failed and what became of it. When nothing was confirmed because a whole call failed (say,
    ``sqs:DeleteMessage`` denied), that error is raised with the per-message results attached:
    a configuration fault must not read as a quiet partial success.
    """
    received = receive(receive_sqs or sqs, queues.pending, max_messages, wait_seconds)
    result = ConfirmResult()
    if not received:
        return result

    forward = _forward(sqs, queues.confirmed, received)
    moved = [m for m in received if isinstance(forward.results.get(m.message_id), str)]
    stuck = [m for m in received if m not in moved]
    released = _release_all(sqs, queues.pending, stuck) if stuck else set()
    for message in stuck:
        failure = forward.results.get(message.message_id, NO_RESULT)
        result.failed.append(
            NotConfirmed(
                message_id=message.message_id,
                stage="forward",
                code=failure.code,
                message=failure.message,
                outcome=RELEASED if message.message_id in released else VISIBILITY_TIMEOUT,
            )
        )

    deletion = _delete_all(sqs, queues.pending, moved) if moved else _Outcome()
    for message in moved:
        failure = deletion.results.get(message.message_id)
        if failure is None:
            result.confirmed.append(
                Confirmed(message.message_id, forward.results[message.message_id])
            )
        else:
            result.failed.append(
                NotConfirmed(
                    message.message_id, "delete", failure.code, failure.message, REDELIVERY
                )
            )

    call_error = forward.call_error or deletion.call_error
    if call_error is not None and not result.confirmed:
        raise call_error.with_payload(**result.to_json())
    return result
