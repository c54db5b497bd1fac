"""The message routes: send, batch send, receive, delete, release, confirm."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from service import queues
from service.api.body import json_body
from service.messages import (
    parse_batch,
    parse_confirm_request,
    parse_handle_request,
    parse_message,
    parse_receive_query,
)
from service.state import current_state

messages = Blueprint("messages", __name__)
NO_OPTIONS = {"provide_automatic_options": False}


@messages.post("/messages", **NO_OPTIONS)
def send() -> tuple[dict[str, Any], int]:
    """Send one message to the pending queue."""
    message = parse_message(json_body())
    state = current_state()
    message_id = queues.send_message(state.clients.sqs, state.queues.pending, message)
    return {"message_id": message_id, "queue": state.queues.pending.name}, 201


@messages.post("/messages/batch", **NO_OPTIONS)
def send_batch() -> dict[str, Any]:
    """Send 1-10 messages to the pending queue; every entry's result, failures included."""
    batch = parse_batch(json_body())
    state = current_state()
    results = queues.send_batch(state.clients.sqs, state.queues.pending, batch)
    entries: list[dict[str, Any]] = []
    for index, result in enumerate(results):
        if isinstance(result, str):
            entries.append({"index": index, "status": "sent", "message_id": result})
        else:
            entries.append(
                {
                    "index": index,
                    "status": "failed",
                    "code": result.code,
                    "message": result.message,
                    "sender_fault": result.sender_fault,
                }
            )
    sent = sum(1 for entry in entries if entry["status"] == "sent")
    return {
        "queue": state.queues.pending.name,
        "sent": sent,
        "failed": len(entries) - sent,
        "results": entries,
    }


@messages.get("/messages", **NO_OPTIONS)
def receive() -> dict[str, Any]:
    """Receive messages from a queue (long polling with ``wait``)."""
    query = parse_receive_query(request.args.to_dict(flat=False))
    state = current_state()
    received = queues.receive(
        state.clients.sqs_for_wait(query.wait_seconds),
        state.queues.by_name(query.queue),
        query.max_messages,
        query.wait_seconds,
    )
    return {"queue": query.queue, "messages": [message.to_json() for message in received]}


@messages.post("/messages/delete", **NO_OPTIONS)
def delete() -> dict[str, Any]:
    """Delete a received message."""
    handle = parse_handle_request(json_body())
    state = current_state()
    queues.delete(state.clients.sqs, state.queues.by_name(handle.queue), handle.receipt_handle)
    return {"queue": handle.queue, "deleted": True}


@messages.post("/messages/release", **NO_OPTIONS)
def release() -> dict[str, Any]:
    """Make a received message visible again now."""
    handle = parse_handle_request(json_body())
    state = current_state()
    queues.release(state.clients.sqs, state.queues.by_name(handle.queue), handle.receipt_handle)
    return {"queue": handle.queue, "released": True}


@messages.post("/messages/confirm", **NO_OPTIONS)
def confirm() -> dict[str, Any]:
    """Move messages from pending to confirmed; per message, confirmed or why not."""
    options = parse_confirm_request(json_body(optional=True))
    state = current_state()
    result = queues.confirm(
        state.clients.sqs,
        state.queues,
        options.max_messages,
        options.wait_seconds,
        receive_sqs=state.clients.sqs_for_wait(options.wait_seconds),
    )
    return result.to_json()
