"""The SQS rules for messages, checked before any AWS call, and the parsing of API input.

Everything here is pure: input in, a validated value or a :class:`~service.errors.BadRequest` (or
:class:`~service.errors.PayloadTooLarge`) naming the problem out. Limits are SQS's own; sizes are
counted as SQS counts them (UTF-8 bytes of the body plus each attribute's name, type and value).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from service.aws import LONG_POLL_MAX_SECONDS
from service.errors import BadRequest, PayloadTooLarge

MAX_MESSAGE_BYTES = 1_048_576  # 1 MiB, per message and per batch
MAX_SQS_ATTRIBUTES = 10
# The attribute confirm adds to each forwarded message, naming the message's id in pending.
ORIGINAL_ID_ATTRIBUTE = "OriginalMessageId"
STRING_TYPE = "String"
# SQS message ids are UUIDs; room for the longest id SQS documents (100 characters).
MAX_MESSAGE_ID_CHARS = 100
# A message must still fit after confirm adds the original-id attribute, or it could never move on.
RESERVED_BYTES = len(ORIGINAL_ID_ATTRIBUTE) + len(STRING_TYPE) + MAX_MESSAGE_ID_CHARS
MAX_CLIENT_MESSAGE_BYTES = MAX_MESSAGE_BYTES - RESERVED_BYTES
MAX_CLIENT_ATTRIBUTES = MAX_SQS_ATTRIBUTES - 1
MAX_ATTRIBUTE_NAME_CHARS = 256
MAX_BATCH_ENTRIES = 10
# JSON escaping can triple the size of a body (a 4-byte character written as two \uXXXX escapes),
# so no request over this can hold a valid message or batch.
MAX_REQUEST_BYTES = 3 * MAX_MESSAGE_BYTES + 64 * 1024

# The API's names of the service's queues: messages are sent to pending, confirmed into confirmed.
QUEUE_NAMES = (PENDING_QUEUE, CONFIRMED_QUEUE) = ("pending", "confirmed")
DEFAULT_QUEUE = PENDING_QUEUE
MIN_MAX_MESSAGES, MAX_MAX_MESSAGES, DEFAULT_MAX_MESSAGES = 1, 10, 1
MIN_WAIT_SECONDS, MAX_WAIT_SECONDS, DEFAULT_WAIT_SECONDS = 0, LONG_POLL_MAX_SECONDS, 0
MAX_RECEIPT_HANDLE_CHARS = 8192

# The characters SQS accepts in bodies and string attribute values:
# #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF
# The characters SQS does not allow in a body or attribute value (SQS lists the allowed ones: tab,
# newline, carriage return, U+0020-U+D7FF, U+E000-U+FFFD, U+10000-U+10FFFF), as the inside of a
# regular-expression class. The validation below and the OpenAPI document's ``pattern`` are both
# built from it; the negated form keeps schemathesis's generation of matching text fast.
SURROGATES = r"\ud800-\udfff"
DISALLOWED_CHARACTERS = rf"\x00-\x08\x0b\x0c\x0e-\x1f{SURROGATES}\ufffe\uffff"
_DISALLOWED_CHAR_RE = re.compile(f"[{DISALLOWED_CHARACTERS}]")
_ATTRIBUTE_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]+\Z")
RECEIPT_HANDLE_PATTERN = r"^[\x21-\x7e]+$"  # printable ASCII, no space
_RECEIPT_HANDLE_RE = re.compile(RECEIPT_HANDLE_PATTERN.replace("$", "\\Z"))


@dataclass(frozen=True)
class OutgoingMessage:
    """A validated message to send: a body and string attributes."""

    body: str
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def size(self) -> int:
        """The size SQS counts: body plus each attribute's name, type and value, in UTF-8 bytes."""
        return message_size(self.body, self.attributes)


@dataclass(frozen=True)
class ReceiveRequest:
    """A validated ``GET /messages`` query: which queue, how many messages, how long to wait."""

    queue: str = DEFAULT_QUEUE
    max_messages: int = DEFAULT_MAX_MESSAGES
    wait_seconds: int = DEFAULT_WAIT_SECONDS


@dataclass(frozen=True)
class HandleRequest:
    """A request naming one received message: delete or release."""

    queue: str
    receipt_handle: str


@dataclass(frozen=True)
class ConfirmRequest:
    """A validated ``POST /messages/confirm`` body: how many messages, how long to wait."""

    max_messages: int = DEFAULT_MAX_MESSAGES
    wait_seconds: int = DEFAULT_WAIT_SECONDS


def message_size(body: str, attributes: Mapping[str, str], data_type: str = STRING_TYPE) -> int:
    """The size of a message as SQS counts it, in bytes."""
    size = len(body.encode("utf-8"))
    for name, value in attributes.items():
        size += len(name.encode("utf-8")) + len(data_type) + len(value.encode("utf-8"))
    return size


def check_characters(text: str, what: str) -> None:
    """Raise BadRequest naming the first character SQS does not allow in ``text``."""
    bad = _DISALLOWED_CHAR_RE.search(text)
    if bad:
        raise BadRequest(
            f"{what} contains U+{ord(bad.group()):04X} at position {bad.start()}, a character "
            "SQS does not allow (allowed: tab, newline, carriage return, U+0020-U+D7FF, "
            "U+E000-U+FFFD, U+10000-U+10FFFF)"
        )


def check_attribute_name(name: str, what: str) -> None:
    """Raise BadRequest unless ``name`` follows SQS's message attribute name rules."""
    if not 1 <= len(name) <= MAX_ATTRIBUTE_NAME_CHARS:
        raise BadRequest(f"{what}: names are 1-{MAX_ATTRIBUTE_NAME_CHARS} characters")
    if not _ATTRIBUTE_NAME_RE.match(name):
        raise BadRequest(f"{what}: names may contain only letters, digits, '_', '-' and '.'")
    if name.startswith(".") or name.endswith(".") or ".." in name:
        raise BadRequest(f"{what}: names may not start or end with '.' or contain '..'")
    if name.lower().startswith(("aws.", "amazon.")):
        raise BadRequest(f"{what}: names starting with 'AWS.' or 'Amazon.' are reserved by SQS")
    if name.lower() == ORIGINAL_ID_ATTRIBUTE.lower():
        raise BadRequest(
            f"{what}: {ORIGINAL_ID_ATTRIBUTE!r} is reserved: confirm sets it on forwarded messages"
        )


def _reject_unknown(data: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise BadRequest(
            f"{where}unknown field {unknown[0]!r}; allowed fields: {', '.join(allowed)}"
        )


def parse_message(data: Any, where: str = "") -> OutgoingMessage:
    """Validate one ``{"body": ..., "attributes": {...}}`` object. ``where`` prefixes messages."""
    if not isinstance(data, dict):
        raise BadRequest(f"{where}a message must be a JSON object with a 'body' string")
    _reject_unknown(data, ("body", "attributes"), where)
    body = data.get("body")
    if not isinstance(body, str):
        raise BadRequest(f"{where}'body' is required and must be a string")
    if not body:
        raise BadRequest(f"{where}'body' must not be empty")
    check_characters(body, f"{where}'body'")

    raw_attributes = data.get("attributes", {})
    if not isinstance(raw_attributes, dict):
        raise BadRequest(f"{where}'attributes' must be an object of string values")
    if len(raw_attributes) > MAX_CLIENT_ATTRIBUTES:
        raise BadRequest(
            f"{where}'attributes' has {len(raw_attributes)} entries; at most "
            f"{MAX_CLIENT_ATTRIBUTES} (SQS allows {MAX_SQS_ATTRIBUTES}, one is reserved for "
            f"{ORIGINAL_ID_ATTRIBUTE!r})"
        )
    attributes: dict[str, str] = {}
    for name, value in raw_attributes.items():
        check_attribute_name(name, f"{where}attribute {name!r}")
        if not isinstance(value, str):
            raise BadRequest(f"{where}attribute {name!r}: the value must be a string")
        if not value:
            raise BadRequest(f"{where}attribute {name!r}: the value must not be empty")
        check_characters(value, f"{where}attribute {name!r}")
        attributes[name] = value

    message = OutgoingMessage(body=body, attributes=attributes)
    if message.size > MAX_CLIENT_MESSAGE_BYTES:
        raise PayloadTooLarge(
            f"{where}the message is {message.size} bytes (body plus attribute names, types and "
            f"values); the limit is {MAX_CLIENT_MESSAGE_BYTES} bytes (1 MiB less "
            f"{RESERVED_BYTES} kept for {ORIGINAL_ID_ATTRIBUTE!r})"
        )
    return message


def parse_batch(data: Any) -> list[OutgoingMessage]:
    """Validate ``{"messages": [...]}``: 1-10 valid messages totalling at most 1 MiB."""
    if not isinstance(data, dict):
        raise BadRequest("the request must be a JSON object with a 'messages' array")
    _reject_unknown(data, ("messages",), "")
    entries = data.get("messages")
    if not isinstance(entries, list):
        raise BadRequest("'messages' is required and must be an array")
    if not 1 <= len(entries) <= MAX_BATCH_ENTRIES:
        raise BadRequest(
            f"'messages' has {len(entries)} entries; a batch holds 1-{MAX_BATCH_ENTRIES}"
        )
    messages = [parse_message(entry, f"messages[{i}]: ") for i, entry in enumerate(entries)]
    total = sum(message.size for message in messages)
    if total > MAX_MESSAGE_BYTES:
        raise PayloadTooLarge(
            f"the batch totals {total} bytes; SQS allows {MAX_MESSAGE_BYTES} bytes per batch"
        )
    return messages


def _int_in_range(value: Any, name: str, low: int, high: int) -> int:
    # JSON Schema counts 14.0 as the integer 14; so does the service.
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BadRequest(f"{name!r} must be a whole number from {low} to {high}")
    return value


def _queue_name(value: Any) -> str:
    if value not in QUEUE_NAMES:
        raise BadRequest(f"'queue' must be one of: {', '.join(QUEUE_NAMES)}")
    return value


def parse_receive_query(args: Mapping[str, list[str]]) -> ReceiveRequest:
    """Validate the query of ``GET /messages`` (each parameter at most once, no unknown ones)."""
    allowed = ("queue", "max", "wait")
    _reject_unknown(args, allowed, "query: ")
    for name, values in args.items():
        if len(values) != 1:
            raise BadRequest(f"query: {name!r} given {len(values)} times; give it once")
    single: dict[str, Any] = {}
    for name, values in args.items():
        text = values[0]
        if name == "queue" or not (text.isascii() and text.isdigit() and len(text) <= 3):
            single[name] = text  # a non-number is rejected below with the range it must be in
        else:
            single[name] = int(text)
    return ReceiveRequest(
        queue=_queue_name(single.get("queue", DEFAULT_QUEUE)),
        max_messages=_int_in_range(
            single.get("max", DEFAULT_MAX_MESSAGES), "max", MIN_MAX_MESSAGES, MAX_MAX_MESSAGES
        ),
        wait_seconds=_int_in_range(
            single.get("wait", DEFAULT_WAIT_SECONDS), "wait", MIN_WAIT_SECONDS, MAX_WAIT_SECONDS
        ),
    )


def parse_handle_request(data: Any) -> HandleRequest:
    """Validate ``{"queue": ..., "receipt_handle": ...}``."""
    if not isinstance(data, dict):
        raise BadRequest("the request must be a JSON object with 'queue' and 'receipt_handle'")
    _reject_unknown(data, ("queue", "receipt_handle"), "")
    if "queue" not in data:
        raise BadRequest("'queue' is required")
    queue = _queue_name(data["queue"])
    handle = data.get("receipt_handle")
    if not isinstance(handle, str) or not handle:
        raise BadRequest("'receipt_handle' is required and must be a non-empty string")
    if len(handle) > MAX_RECEIPT_HANDLE_CHARS or not _RECEIPT_HANDLE_RE.match(handle):
        raise BadRequest(
            "'receipt_handle' is not a receipt handle: use the receipt_handle a receive returned"
        )
    return HandleRequest(queue=queue, receipt_handle=handle)


def parse_confirm_request(data: Any) -> ConfirmRequest:
    """Validate ``{"max": ..., "wait": ...}`` (both optional)."""
    if not isinstance(data, dict):
        raise BadRequest("the request must be a JSON object (optionally with 'max' and 'wait')")
    _reject_unknown(data, ("max", "wait"), "")
    return ConfirmRequest(
        max_messages=_int_in_range(
            data.get("max", DEFAULT_MAX_MESSAGES), "max", MIN_MAX_MESSAGES, MAX_MAX_MESSAGES
        ),
        wait_seconds=_int_in_range(
            data.get("wait", DEFAULT_WAIT_SECONDS), "wait", MIN_WAIT_SECONDS, MAX_WAIT_SECONDS
        ),
    )
