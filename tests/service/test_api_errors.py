"""Hostile input over HTTP: every error is a 4xx in the one JSON shape, checked before AWS."""

from __future__ import annotations

import pytest
from werkzeug.test import TestResponse

from service.messages import MAX_CLIENT_MESSAGE_BYTES, MAX_REQUEST_BYTES
from tests.service.conftest import ApiClient, MotoQueues

# None of these requests may reach SQS, so one app and one queue pair serve the whole module.


@pytest.fixture
def api(module_api: ApiClient) -> ApiClient:
    return module_api


@pytest.fixture
def moto_queues(module_moto_queues: MotoQueues) -> MotoQueues:
    return module_moto_queues


JSON_ROUTES = [
    "/messages",
    "/messages/batch",
    "/messages/delete",
    "/messages/release",
    "/messages/confirm",
]


def assert_error(response: TestResponse, status: int, code: str, *fragments: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.json["error"]
    assert error["code"] == code
    for fragment in fragments:
        assert fragment in error["message"]


@pytest.mark.parametrize("route", JSON_ROUTES)
@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("text/plain", '{"body": "x"}'),
        ("application/x-www-form-urlencoded", "body=x"),
        ("multipart/form-data; boundary=x", "--x--"),
        ("application/jsonp", '{"body": "x"}'),
        ("application/json; charset=latin-1", '{"body": "x"}'),
    ],
)
def test_non_json_content_type_is_415(
    api: ApiClient, route: str, content_type: str, data: str
) -> None:
    response = api.post(route, data=data, headers={"Content-Type": content_type})
    assert_error(response, 415, "unsupported_media_type")


@pytest.mark.parametrize("route", [r for r in JSON_ROUTES if r != "/messages/confirm"])
def test_missing_content_type_is_415(api: ApiClient, route: str) -> None:
    assert_error(api.post(route, data=b""), 415, "unsupported_media_type", "no content type")


@pytest.mark.parametrize("route", JSON_ROUTES)
@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"{", "not valid JSON"),
        (b'{"body": "x",}', "not valid JSON"),
        (b"{'body': 'x'}", "not valid JSON"),
        (b"   ", "the body is empty"),
        (b'{"body": "\xff"}', "not valid UTF-8"),
        (b'{"max": ' + b"9" * 5000 + b"}", "a number is too long"),
        (b"[" * 100_000 + b"]" * 100_000, "nests too deeply"),
        # Text Python's json module takes but that has no one meaning as JSON.
        (b'{"body": "x", "body": "y"}', "duplicate key 'body'"),
        (b'{"max": NaN}', "NaN is not a JSON value"),
        (b'{"max": -Infinity}', "-Infinity is not a JSON value"),
        (b'{"max": 1e999}', "a number is too large"),
    ],
)
def test_malformed_json_is_400(api: ApiClient, route: str, data: bytes, fragment: str) -> None:
    response = api.post(route, data=data, headers={"Content-Type": "application/json"})
    assert_error(response, 400, "invalid_request", fragment)


@pytest.mark.parametrize("route", [r for r in JSON_ROUTES if r != "/messages/confirm"])
def test_empty_json_body_is_400(api: ApiClient, route: str) -> None:
    response = api.post(route, data=b"", headers={"Content-Type": "application/json"})
    assert_error(response, 400, "invalid_request", "the body is empty")


@pytest.mark.parametrize(
    ("route", "payload", "fragment"),
    [
        ("/messages", [], "JSON object"),
        ("/messages", {"body": ""}, "must not be empty"),
        ("/messages", {"body": "\x00"}, "U+0000"),
        ("/messages", {"body": "x", "attributes": {"AWS.x": "v"}}, "reserved by SQS"),
        ("/messages", {"body": "x", "attributes": {"OriginalMessageId": "v"}}, "is reserved"),
        ("/messages", {"body": "x", "attributes": {f"a{i}": "v" for i in range(10)}}, "at most 9"),
        ("/messages/batch", {"messages": []}, "0 entries"),
        ("/messages/batch", {"messages": [{"body": "ok"}, {"body": 1}]}, "messages[1]"),
        ("/messages/delete", {"queue": "dead-letter", "receipt_handle": "h"}, "'queue' must be"),
        ("/messages/release", {"queue": "pending"}, "'receipt_handle' is required"),
        ("/messages/confirm", {"max": 11}, "from 1 to 10"),
        ("/messages/confirm", {"wait": -1}, "from 0 to 20"),
    ],
)
def test_invalid_requests_are_400_before_any_aws_call(
    api: ApiClient, moto_queues: MotoQueues, route: str, payload: object, fragment: str
) -> None:
    assert_error(api.post(route, json=payload), 400, "invalid_request", fragment)
    assert moto_queues.count(moto_queues.pending_url) == 0


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("?queue=dlq", "'queue' must be one of"),
        ("?max=0", "'max'"),
        ("?max=11", "'max'"),
        ("?max=abc", "'max'"),
        ("?wait=21", "'wait'"),
        ("?wait=-1", "'wait'"),
        ("?max=1&max=2", "given 2 times"),
        ("?visibility=0", "unknown field 'visibility'"),
    ],
)
def test_bad_receive_query_is_400(api: ApiClient, query: str, fragment: str) -> None:
    assert_error(api.get(f"/messages{query}"), 400, "invalid_request", fragment)


def test_message_over_the_limit_is_413(api: ApiClient, moto_queues: MotoQueues) -> None:
    response = api.post("/messages", json={"body": "a" * (MAX_CLIENT_MESSAGE_BYTES + 1)})
    assert_error(response, 413, "payload_too_large", str(MAX_CLIENT_MESSAGE_BYTES))
    assert moto_queues.count(moto_queues.pending_url) == 0


def test_batch_over_the_limit_in_total_is_413(api: ApiClient) -> None:
    entry = {"body": "a" * (MAX_CLIENT_MESSAGE_BYTES // 2)}
    response = api.post("/messages/batch", json={"messages": [entry, entry, entry]})
    assert_error(response, 413, "payload_too_large", "per batch")


@pytest.mark.parametrize("route", JSON_ROUTES)
def test_request_body_too_large_to_hold_a_message_is_413(api: ApiClient, route: str) -> None:
    data = b'{"body": "' + b"a" * MAX_REQUEST_BYTES + b'"}'
    response = api.post(route, data=data, headers={"Content-Type": "application/json"})
    assert_error(response, 413, "payload_too_large")


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/nope", 404, "not_found"),
        ("POST", "/messages/purge", 404, "not_found"),
        ("GET", "/static/x.js", 404, "not_found"),
        ("DELETE", "/messages", 405, "method_not_allowed"),
        ("PUT", "/messages/batch", 405, "method_not_allowed"),
        ("GET", "/messages/confirm", 405, "method_not_allowed"),
        ("POST", "/healthz", 405, "method_not_allowed"),
        ("OPTIONS", "/messages", 405, "method_not_allowed"),
    ],
)
def test_routing_errors_use_the_error_shape(
    api: ApiClient, method: str, path: str, status: int, code: str
) -> None:
    response = api.request(method, path)
    assert_error(response, status, code)
    if status == 405:
        assert response.headers["Allow"]


def test_every_response_carries_a_request_id(api: ApiClient) -> None:
    for response in (api.get("/healthz"), api.get("/nope"), api.post("/messages", data=b"")):
        assert len(response.headers["X-Request-Id"]) >= 16


@pytest.mark.parametrize(
    ("sent", "echoed"),
    [
        ("abc-123_x.y:z", True),
        ("a" * 128, True),
        ("a" * 129, False),
        ("has space", False),
        ("new\\nline", False),
        ("-leading-dash", False),
    ],
)
def test_client_request_id_is_echoed_only_when_sane(
    api: ApiClient, sent: str, echoed: bool
) -> None:
    response = api.get("/healthz", headers={"X-Request-Id": sent})
    assert (response.headers["X-Request-Id"] == sent) is echoed
