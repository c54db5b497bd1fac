"""The SQS rules the service enforces before calling AWS, as pure functions."""

from __future__ import annotations

import json
import re

import pytest

from service.errors import BadRequest, PayloadTooLarge
from service.messages import (
    DEFAULT_MAX_MESSAGES,
    DEFAULT_QUEUE,
    DEFAULT_WAIT_SECONDS,
    MAX_CLIENT_ATTRIBUTES,
    MAX_CLIENT_MESSAGE_BYTES,
    MAX_MESSAGE_BYTES,
    ORIGINAL_ID_ATTRIBUTE,
    RESERVED_BYTES,
    message_size,
    parse_batch,
    parse_confirm_request,
    parse_handle_request,
    parse_message,
    parse_receive_query,
)
from service.openapi import openapi_document


def test_size_is_counted_as_sqs_counts_it() -> None:
    # body 3 + name 1 + "String" 6 + value 2 ("é" is two UTF-8 bytes)
    assert message_size("abc", {"k": "é"}) == 3 + 1 + 6 + 2


def test_reserved_room_fits_the_original_id_attribute() -> None:
    message_id = "a" * 100
    assert message_size("", {ORIGINAL_ID_ATTRIBUTE: message_id}) == RESERVED_BYTES
    assert MAX_CLIENT_MESSAGE_BYTES + RESERVED_BYTES == MAX_MESSAGE_BYTES


@pytest.mark.parametrize(
    "body",
    ["hello", "tab\tnewline\ncr\r", "\ud7ff\ue000\ufffd", "emoji \U0001f600", "\U0010ffff"],
)
def test_bodies_with_allowed_characters_pass(body: str) -> None:
    assert parse_message({"body": body}).body == body


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (None, "JSON object"),
        ([], "JSON object"),
        ({}, "'body' is required"),
        ({"body": 5}, "'body' is required and must be a string"),
        ({"body": None}, "'body' is required"),
        ({"body": ""}, "must not be empty"),
        ({"body": "nul\x00"}, "U+0000 at position 3"),
        ({"body": "bell\x07"}, "U+0007"),
        ({"body": "lone \ud800 surrogate"}, "U+D800"),
        ({"body": "\ufffe"}, "U+FFFE"),
        ({"body": "\uffff"}, "U+FFFF"),
        ({"body": "x", "extra": 1}, "unknown field 'extra'"),
        ({"body": "x", "attributes": []}, "'attributes' must be an object"),
        ({"body": "x", "attributes": "a=b"}, "'attributes' must be an object"),
        # The OpenAPI document says object; null is not one.
        ({"body": "x", "attributes": None}, "'attributes' must be an object"),
        ({"body": "x", "attributes": {"a": 1}}, "the value must be a string"),
        ({"body": "x", "attributes": {"a": None}}, "the value must be a string"),
        ({"body": "x", "attributes": {"a": ""}}, "must not be empty"),
        ({"body": "x", "attributes": {"a": "\x01"}}, "U+0001"),
        ({"body": "x", "attributes": {"": "v"}}, "names are 1-256 characters"),
        ({"body": "x", "attributes": {"n" * 257: "v"}}, "names are 1-256 characters"),
        ({"body": "x", "attributes": {"sp ace": "v"}}, "only letters, digits"),
        ({"body": "x", "attributes": {"name\n": "v"}}, "only letters, digits"),
        ({"body": "x", "attributes": {"ünï": "v"}}, "only letters, digits"),
        ({"body": "x", "attributes": {".lead": "v"}}, "start or end with '.'"),
        ({"body": "x", "attributes": {"trail.": "v"}}, "start or end with '.'"),
        ({"body": "x", "attributes": {"a..b": "v"}}, "contain '..'"),
        ({"body": "x", "attributes": {"AWS.trace": "v"}}, "reserved by SQS"),
        ({"body": "x", "attributes": {"aws.trace": "v"}}, "reserved by SQS"),
        ({"body": "x", "attributes": {"Amazon.x": "v"}}, "reserved by SQS"),
        ({"body": "x", "attributes": {ORIGINAL_ID_ATTRIBUTE: "v"}}, "is reserved"),
        ({"body": "x", "attributes": {ORIGINAL_ID_ATTRIBUTE.lower(): "v"}}, "is reserved"),
        (
            {"body": "x", "attributes": {f"a{i}": "v" for i in range(MAX_CLIENT_ATTRIBUTES + 1)}},
            f"at most {MAX_CLIENT_ATTRIBUTES}",
        ),
    ],
)
def test_invalid_messages_are_rejected_naming_the_rule(data: object, expected: str) -> None:
    with pytest.raises(BadRequest) as raised:
        parse_message(data)
    assert expected in raised.value.message


def test_nine_client_attributes_are_allowed() -> None:
    attributes = {f"a{i}": "v" for i in range(MAX_CLIENT_ATTRIBUTES)}
    assert parse_message({"body": "x", "attributes": attributes}).attributes == attributes


def test_message_at_the_size_limit_passes_and_one_byte_more_is_413() -> None:
    attributes = {"k": "v"}
    overhead = message_size("", attributes)
    body = "a" * (MAX_CLIENT_MESSAGE_BYTES - overhead)
    assert parse_message({"body": body, "attributes": attributes}).size == MAX_CLIENT_MESSAGE_BYTES
    with pytest.raises(PayloadTooLarge) as raised:
        parse_message({"body": body + "a", "attributes": attributes})
    assert str(MAX_CLIENT_MESSAGE_BYTES) in raised.value.message


def test_multibyte_characters_count_in_utf8_bytes() -> None:
    body = "\U0001f600" * (MAX_CLIENT_MESSAGE_BYTES // 4 + 1)  # under the limit in characters
    with pytest.raises(PayloadTooLarge):
        parse_message({"body": body})


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({}, "'messages' is required"),
        ({"messages": {}}, "must be an array"),
        ({"messages": []}, "0 entries"),
        ({"messages": [{"body": "x"}] * 11}, "11 entries"),
        ({"messages": [{"body": "x"}], "more": 1}, "unknown field 'more'"),
        ({"messages": [{"body": "x"}, {"body": ""}]}, "messages[1]: 'body' must not be empty"),
        ({"messages": [{"body": "x"}, "text"]}, "messages[1]: a message must be a JSON object"),
        (
            {"messages": [{"body": "x"}, {"body": "y", "attributes": {"AWS.x": "v"}}]},
            "messages[1]: attribute 'AWS.x'",
        ),
    ],
)
def test_invalid_batches_are_rejected_with_the_entry_index(data: object, expected: str) -> None:
    with pytest.raises(BadRequest) as raised:
        parse_batch(data)
    assert expected in raised.value.message


def test_batch_over_one_mebibyte_in_total_is_413() -> None:
    entry = {"body": "a" * (MAX_MESSAGE_BYTES // 2)}
    with pytest.raises(PayloadTooLarge) as raised:
        parse_batch({"messages": [entry, entry, {"body": "b"}]})
    assert "per batch" in raised.value.message


def test_receive_query_defaults() -> None:
    query = parse_receive_query({})
    assert (query.queue, query.max_messages, query.wait_seconds) == (
        DEFAULT_QUEUE,
        DEFAULT_MAX_MESSAGES,
        DEFAULT_WAIT_SECONDS,
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"queue": ["dead-letter"]}, "'queue' must be one of: pending, confirmed"),
        ({"queue": [""]}, "'queue' must be one of"),
        ({"max": ["0"]}, "'max' must be a whole number from 1 to 10"),
        ({"max": ["11"]}, "from 1 to 10"),
        ({"max": ["-1"]}, "from 1 to 10"),
        ({"max": ["1.5"]}, "from 1 to 10"),
        ({"max": ["ten"]}, "from 1 to 10"),
        ({"max": [""]}, "from 1 to 10"),
        ({"max": ["٣"]}, "from 1 to 10"),  # a non-ASCII digit
        ({"max": ["9" * 5000]}, "from 1 to 10"),
        ({"wait": ["21"]}, "'wait' must be a whole number from 0 to 20"),
        ({"wait": ["-0"]}, "from 0 to 20"),
        ({"max": ["1", "2"]}, "given 2 times"),
        ({"maxx": ["1"]}, "unknown field 'maxx'"),
    ],
)
def test_invalid_receive_queries_are_rejected(args: dict[str, list[str]], expected: str) -> None:
    with pytest.raises(BadRequest) as raised:
        parse_receive_query(args)
    assert expected in raised.value.message


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ([], "JSON object"),
        ({"receipt_handle": "h"}, "'queue' is required"),
        ({"queue": "other", "receipt_handle": "h"}, "'queue' must be one of"),
        ({"queue": "pending"}, "'receipt_handle' is required"),
        ({"queue": "pending", "receipt_handle": ""}, "'receipt_handle' is required"),
        ({"queue": "pending", "receipt_handle": 7}, "'receipt_handle' is required"),
        ({"queue": "pending", "receipt_handle": "has space"}, "not a receipt handle"),
        ({"queue": "pending", "receipt_handle": "handle\n"}, "not a receipt handle"),
        ({"queue": "pending", "receipt_handle": "x" * 9000}, "not a receipt handle"),
        ({"queue": "pending", "receipt_handle": "h", "visibility": 0}, "unknown field"),
    ],
)
def test_invalid_handle_requests_are_rejected(data: object, expected: str) -> None:
    with pytest.raises(BadRequest) as raised:
        parse_handle_request(data)
    assert expected in raised.value.message


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("x", "JSON object"),
        ({"max": True}, "'max' must be a whole number"),
        ({"max": "5"}, "'max' must be a whole number"),
        ({"max": 5.5}, "'max' must be a whole number"),
        ({"wait": 20.0001}, "'wait' must be a whole number"),
        ({"max": 0}, "from 1 to 10"),
        ({"wait": 21}, "'wait' must be a whole number from 0 to 20"),
        ({"wait": None}, "'wait' must be a whole number"),
        ({"queue": "pending"}, "unknown field 'queue'"),
    ],
)
def test_invalid_confirm_requests_are_rejected(data: object, expected: str) -> None:
    with pytest.raises(BadRequest) as raised:
        parse_confirm_request(data)
    assert expected in raised.value.message


def test_integral_numbers_count_as_integers_as_in_json_schema() -> None:
    request = parse_confirm_request({"max": 5.0, "wait": 14.0})
    assert (request.max_messages, request.wait_seconds) == (5, 14)
    assert isinstance(request.wait_seconds, int)


def test_the_documented_character_pattern_is_the_rule_the_service_applies() -> None:
    document = json.loads(json.dumps(openapi_document()))
    pattern = document["components"]["schemas"]["Message"]["properties"]["body"]["pattern"]
    for text in ("plain", "tab\tnewline\n", "\U0001f600", "\ue000"):
        assert re.fullmatch(pattern.rstrip("$"), text)
        parse_message({"body": text})
    for text in ("nul\x00", "\ufffe", "bell\x07"):
        assert not re.fullmatch(pattern.rstrip("$"), text)
        with pytest.raises(BadRequest):
            parse_message({"body": text})


def test_confirm_request_defaults() -> None:
    request = parse_confirm_request({})
    assert (request.max_messages, request.wait_seconds) == (
        DEFAULT_MAX_MESSAGES,
        DEFAULT_WAIT_SECONDS,
    )
