"""The message routes against moto in-process: send, batch, receive, delete, release, confirm."""

from __future__ import annotations

import json

import pytest
from flask import Flask

from service.awscalls import QUEUES, required_actions
from service.messages import MAX_CLIENT_MESSAGE_BYTES, MAX_REQUEST_BYTES, ORIGINAL_ID_ATTRIBUTE
from service.state import EXTENSION
from tests.service.conftest import ApiClient, MotoQueues


def send(api: ApiClient, body: str, attributes: dict[str, str] | None = None) -> str:
    payload: dict[str, object] = {"body": body}
    if attributes is not None:
        payload["attributes"] = attributes
    response = api.post("/messages", json=payload)
    assert response.status_code == 201, response.json
    return response.json["message_id"]


def receive(api: ApiClient, query: str = "") -> list[dict]:
    response = api.get(f"/messages{query}")
    assert response.status_code == 200, response.json
    return response.json["messages"]


def test_sent_message_lands_in_pending_with_its_attributes(
    api: ApiClient, moto_queues: MotoQueues
) -> None:
    message_id = send(api, "hello ✓", {"kind": "greeting", "trace.id": "42"})
    got = moto_queues.sqs.receive_message(
        QueueUrl=moto_queues.pending_url, MessageAttributeNames=["All"]
    )["Messages"]
    assert [m["MessageId"] for m in got] == [message_id]
    assert got[0]["Body"] == "hello ✓"
    assert {k: v["StringValue"] for k, v in got[0]["MessageAttributes"].items()} == {
        "kind": "greeting",
        "trace.id": "42",
    }


def test_receive_defaults_to_one_message_from_pending(api: ApiClient) -> None:
    first = send(api, "one")
    send(api, "two")
    messages = receive(api)
    assert len(messages) == 1
    assert messages[0]["message_id"] == first
    assert messages[0]["receive_count"] == 1
    assert messages[0]["receipt_handle"]


def test_receive_returns_up_to_max_messages_with_attributes(api: ApiClient) -> None:
    sent = {send(api, f"m{i}", {"n": str(i)}) for i in range(4)}
    messages = receive(api, "?queue=pending&max=10&wait=0")
    assert {m["message_id"] for m in messages} == sent
    assert {m["body"]: m["attributes"] for m in messages} == {
        f"m{i}": {"n": str(i)} for i in range(4)
    }


def test_receive_from_an_empty_queue_returns_no_messages(api: ApiClient) -> None:
    assert receive(api, "?queue=confirmed") == []


def test_head_of_the_receive_route_is_405_and_receives_nothing(
    api: ApiClient, moto_queues: MotoQueues
) -> None:
    message_id = send(api, "still visible")
    response = api.request("HEAD", "/messages")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "POST"}
    # The message was not received behind the client's back: it is visible, never delivered.
    messages = receive(api)
    assert [(m["message_id"], m["receive_count"]) for m in messages] == [(message_id, 1)]


def test_head_is_still_answered_where_get_has_no_side_effect(api: ApiClient) -> None:
    assert api.request("HEAD", "/healthz").status_code == 200


def test_batch_sends_every_entry_and_reports_each(api: ApiClient, moto_queues: MotoQueues) -> None:
    response = api.post(
        "/messages/batch",
        json={"messages": [{"body": "a"}, {"body": "b", "attributes": {"k": "v"}}, {"body": "c"}]},
    )
    assert response.status_code == 200
    assert response.json["sent"] == 3 and response.json["failed"] == 0
    assert [r["index"] for r in response.json["results"]] == [0, 1, 2]
    assert all(r["status"] == "sent" and r["message_id"] for r in response.json["results"])
    assert moto_queues.count(moto_queues.pending_url) == 3


def test_delete_removes_the_received_message(api: ApiClient, moto_queues: MotoQueues) -> None:
    send(api, "done soon")
    [message] = receive(api)
    response = api.post(
        "/messages/delete", json={"queue": "pending", "receipt_handle": message["receipt_handle"]}
    )
    assert response.status_code == 200
    assert response.json == {"queue": "pending", "deleted": True}
    assert moto_queues.count(moto_queues.pending_url) == 0


def test_release_makes_the_message_visible_again_at_once(api: ApiClient) -> None:
    send(api, "again")
    [message] = receive(api)
    assert receive(api) == []  # in flight
    response = api.post(
        "/messages/release", json={"queue": "pending", "receipt_handle": message["receipt_handle"]}
    )
    assert response.status_code == 200
    assert response.json == {"queue": "pending", "released": True}
    [again] = receive(api)
    assert again["message_id"] == message["message_id"]
    assert again["receive_count"] == 2


@pytest.mark.parametrize("route", ["/messages/delete", "/messages/release"])
def test_unknown_receipt_handle_is_a_404_naming_the_handle(api: ApiClient, route: str) -> None:
    response = api.post(route, json={"queue": "pending", "receipt_handle": "not-a-real-handle"})
    assert response.status_code == 404
    assert response.json["error"]["code"] == "invalid_receipt_handle"
    assert "receipt handle" in response.json["error"]["message"]


def test_confirm_moves_messages_and_carries_the_original_id(
    api: ApiClient, moto_queues: MotoQueues
) -> None:
    originals = {send(api, f"order {i}", {"n": str(i)}): f"order {i}" for i in range(3)}
    response = api.post("/messages/confirm", json={"max": 10})
    assert response.status_code == 200
    assert response.json["failed"] == []
    assert {c["message_id"] for c in response.json["confirmed"]} == set(originals)
    assert moto_queues.count(moto_queues.pending_url) == 0

    confirmed = receive(api, "?queue=confirmed&max=10")
    assert {m["body"] for m in confirmed} == set(originals.values())
    for message in confirmed:
        original_id = message["attributes"][ORIGINAL_ID_ATTRIBUTE]
        assert originals[original_id] == message["body"]
        assert message["attributes"]["n"] == message["body"].split()[-1]
    copy_ids = {c["confirmed_message_id"] for c in response.json["confirmed"]}
    assert copy_ids == {m["message_id"] for m in confirmed}


def test_confirm_without_a_body_uses_the_defaults(api: ApiClient) -> None:
    send(api, "first")
    send(api, "second")
    response = api.post("/messages/confirm")
    assert response.status_code == 200
    assert len(response.json["confirmed"]) == 1  # max defaults to 1


def test_confirm_on_an_empty_queue_confirms_nothing(api: ApiClient) -> None:
    response = api.post("/messages/confirm", json={})
    assert response.status_code == 200
    assert response.json == {"confirmed": [], "failed": []}


def test_confirm_releases_a_message_with_no_room_for_the_original_id(
    api: ApiClient, moto_queues: MotoQueues
) -> None:
    # Another producer filled all ten attributes: the forward cannot add the original id.
    full = {f"a{i}": {"DataType": "String", "StringValue": "v"} for i in range(10)}
    moto_queues.sqs.send_message(
        QueueUrl=moto_queues.pending_url, MessageBody="full", MessageAttributes=full
    )
    send(api, "fine")
    response = api.post("/messages/confirm", json={"max": 10})
    assert response.status_code == 200
    assert [c["message_id"] for c in response.json["confirmed"]] != []
    [failed] = response.json["failed"]
    assert failed["stage"] == "forward"
    assert failed["outcome"] == "released"
    assert "11 attributes" in failed["message"]
    # Released, not lost: it is visible in pending again at once.
    [back] = receive(api)
    assert back["message_id"] == failed["message_id"]
    assert back["body"] == "full"


def test_confirm_releases_every_message_when_the_confirmed_queue_is_gone(
    api: ApiClient, moto_queues: MotoQueues
) -> None:
    ids = {send(api, f"m{i}") for i in range(2)}
    moto_queues.sqs.delete_queue(QueueUrl=moto_queues.confirmed_url)
    response = api.post("/messages/confirm", json={"max": 10})
    assert response.status_code == 503
    assert response.json["error"]["code"] == "queue_unavailable"
    assert response.json["confirmed"] == []
    assert {f["message_id"] for f in response.json["failed"]} == ids
    assert {f["outcome"] for f in response.json["failed"]} == {"released"}
    assert {m["message_id"] for m in receive(api, "?max=10")} == ids


def test_message_at_the_limit_is_accepted(api: ApiClient, moto_queues: MotoQueues) -> None:
    response = api.post("/messages", json={"body": "a" * MAX_CLIENT_MESSAGE_BYTES})
    assert response.status_code == 201
    assert moto_queues.count(moto_queues.pending_url) == 1


def test_escaped_message_at_the_limit_fits_in_a_request(api: ApiClient) -> None:
    # The worst JSON escaping: each 4-byte character as two \uXXXX escapes (12 bytes).
    body = "\U0001f600" * (MAX_CLIENT_MESSAGE_BYTES // 4)
    data = json.dumps({"body": body}, ensure_ascii=True).encode()
    assert len(data) <= MAX_REQUEST_BYTES
    response = api.post("/messages", data=data, headers={"Content-Type": "application/json"})
    assert response.status_code == 201


def test_every_sqs_call_the_routes_make_is_declared(app: Flask) -> None:
    """The IAM inventory the artifact checker reads covers every SQS operation actually called."""
    called: set[str] = set()
    clients = app.extensions[EXTENSION].clients
    for sqs in (clients.sqs, clients.probe_sqs):  # readiness has a client of its own
        sqs.meta.events.register("before-call.sqs", lambda model, **_: called.add(model.name))
    api = ApiClient(app)
    send(api, "one")
    api.post("/messages/batch", json={"messages": [{"body": "two"}]})
    [message] = receive(api)
    api.post(
        "/messages/release", json={"queue": "pending", "receipt_handle": message["receipt_handle"]}
    )
    api.post("/messages/confirm", json={"max": 1})
    [message] = receive(api)
    api.post(
        "/messages/delete", json={"queue": "pending", "receipt_handle": message["receipt_handle"]}
    )
    api.get("/readyz")
    # The full-forward path releases too: a message with no room for the original id.
    full = {f"a{i}": {"DataType": "String", "StringValue": "v"} for i in range(10)}
    app.extensions[EXTENSION].clients.sqs.send_message(
        QueueUrl=app.extensions[EXTENSION].queues.pending.url,
        MessageBody="full",
        MessageAttributes=full,
    )
    api.post("/messages/confirm", json={"max": 10})
    # IAM authorises batch operations as their single-message action.
    actions = {f"sqs:{name.removesuffix('Batch')}" for name in called}
    assert actions == required_actions(QUEUES)
    assert {"SendMessageBatch", "DeleteMessageBatch", "ChangeMessageVisibilityBatch"} <= called


def test_confirm_with_an_empty_json_body_uses_the_defaults(api: ApiClient) -> None:
    send(api, "only")
    response = api.post("/messages/confirm", data=b"", headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    assert len(response.json["confirmed"]) == 1


def test_missing_pending_queue_is_503_naming_it(api: ApiClient, moto_queues: MotoQueues) -> None:
    moto_queues.sqs.delete_queue(QueueUrl=moto_queues.pending_url)
    response = api.post("/messages", json={"body": "x"})
    assert response.status_code == 503
    assert response.json["error"]["code"] == "queue_unavailable"
    assert "courier-dev-pending" in response.json["error"]["message"]
