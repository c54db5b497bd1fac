"""The OpenAPI 3.1 document of the HTTP API, built from the same constants the validation uses.

Limits and defaults (queue, max, wait, attribute counts, sizes) come from :mod:`service.messages`,
so the document cannot drift from what the service enforces. When an API key is configured the
protected operations carry the two accepted schemes and a 401 response.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from flask import Flask

from service import messages as m
from service.auth import API_KEY_HEADER, PUBLIC_ENDPOINTS
from service.logs import REQUEST_ID_HEADER
from service.readiness import REASONS as READINESS_REASONS
from service.state import EXTENSION

API_VERSION = "1.0.0"
_JSON = "application/json"
_HTML = "text/html"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(type_: str) -> dict[str, Any]:
    return {"type": [type_, "null"]}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {REQUEST_ID_HEADER: {"$ref": "#/components/headers/RequestId"}},
        "content": {_JSON: {"schema": schema}},
    }


def _with_html(response: dict[str, Any], description: str) -> dict[str, Any]:
    """``response`` that may also come as ``text/html`` (content negotiation, ``Vary: Accept``)."""
    content = {
        **response["content"],
        _HTML: {"schema": {"type": "string", "description": description}},
    }
    return {**response, "content": content}


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


_ERRORS = {
    "400": _error("Invalid input: the message names the field and the rule."),
    "403": _error(
        "AWS denied an action: names the action, the resource and the role that lacks it."
    ),
    "413": _error("The message (or batch, or request body) is over the size limit."),
    "415": _error("The body is not application/json."),
    "500": _error("A bug in the service (no details; the log has them under the request id)."),
    "502": _error("AWS answered with an error the service does not map."),
    "503": _error(
        "No credentials, credentials rejected, AWS unreachable or throttled, or queue missing."
    ),
}


def _errors(*statuses: str) -> dict[str, Any]:
    return {status: _ERRORS[status] for status in statuses}


def _schemas() -> dict[str, Any]:
    # Lone surrogates (U+D800-U+DFFF) are refused too, but cannot be written in a pattern
    # every JSON Schema tool reads; no UTF-8 text holds one.
    allowed_text = f"^[^{m.DISALLOWED_CHARACTERS.replace(m.SURROGATES, '')}]*$"
    string_value = {"type": "string", "minLength": 1, "pattern": allowed_text}
    attribute_name = {
        "type": "string",
        "minLength": 1,
        "maxLength": m.MAX_ATTRIBUTE_NAME_CHARS,
        # No leading or trailing '.', no '..'; not starting with AWS. or Amazon. (any case).
        "pattern": r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$",
        "not": {"pattern": r"^([Aa][Ww][Ss]|[Aa][Mm][Aa][Zz][Oo][Nn])\."},
        "description": (
            "Letters, digits, '_', '-' and '.'; not starting or ending with '.', no '..', not "
            f"starting with 'AWS.' or 'Amazon.', and not {m.ORIGINAL_ID_ATTRIBUTE!r} (reserved)."
        ),
    }
    queue = _enum(m.QUEUE_NAMES)
    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                        "code": {"type": "string", "description": "Stable, machine-readable."},
                        "message": {"type": "string", "description": "What is wrong and the fix."},
                        "action": {"type": "string", "description": "403: the denied action."},
                        "resource": {"type": "string", "description": "403: the resource."},
                    },
                }
            },
            "description": (
                "Every error. Some carry more top-level members: confirm's per-message results, "
                "readiness checks, identity warnings."
            ),
        },
        "Warning": {
            "type": "object",
            "required": ["code", "severity", "message"],
            "properties": {
                "code": {"type": "string"},
                "severity": {"type": "string", "enum": ["error", "warning", "info"]},
                "message": {"type": "string"},
            },
        },
        "IdentityErrorWithWarnings": {
            "allOf": [
                _ref("Error"),
                {
                    "type": "object",
                    "required": ["warnings"],
                    "properties": {"warnings": {"type": "array", "items": _ref("Warning")}},
                },
            ]
        },
        "Message": {
            "type": "object",
            "required": ["body"],
            "additionalProperties": False,
            "properties": {
                "body": {
                    "type": "string",
                    "minLength": 1,
                    "pattern": allowed_text,
                    "description": (
                        "Characters SQS allows: tab, newline, carriage return, U+0020-U+D7FF, "
                        "U+E000-U+FFFD, U+10000-U+10FFFF."
                    ),
                },
                "attributes": {
                    "type": "object",
                    "maxProperties": m.MAX_CLIENT_ATTRIBUTES,
                    "propertyNames": attribute_name,
                    "additionalProperties": string_value,
                    "default": {},
                    "description": (
                        f"String attributes, at most {m.MAX_CLIENT_ATTRIBUTES} (SQS allows "
                        f"{m.MAX_SQS_ATTRIBUTES}; one is reserved for {m.ORIGINAL_ID_ATTRIBUTE!r})."
                    ),
                },
            },
            "description": (
                "Size as SQS counts it (UTF-8 bytes of the body plus each attribute's name, type "
                f"'String' and value): at most {m.MAX_CLIENT_MESSAGE_BYTES} bytes, 1 MiB less "
                f"{m.RESERVED_BYTES} kept for the attribute confirm adds; over it: 413."
            ),
        },
        "Batch": {
            "type": "object",
            "required": ["messages"],
            "additionalProperties": False,
            "properties": {
                "messages": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": m.MAX_BATCH_ENTRIES,
                    "items": _ref("Message"),
                    "description": f"At most {m.MAX_MESSAGE_BYTES} bytes in total.",
                }
            },
        },
        "Sent": {
            "type": "object",
            "required": ["message_id", "queue"],
            "properties": {"message_id": {"type": "string"}, "queue": {"const": m.PENDING_QUEUE}},
        },
        "BatchResult": {
            "type": "object",
            "required": ["queue", "sent", "failed", "results"],
            "properties": {
                "queue": {"const": m.PENDING_QUEUE},
                "sent": {"type": "integer", "minimum": 0},
                "failed": {"type": "integer", "minimum": 0},
                "results": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["index", "status"],
                        "properties": {
                            "index": {"type": "integer", "minimum": 0},
                            "status": {"type": "string", "enum": ["sent", "failed"]},
                            "message_id": {"type": "string"},
                            "code": {"type": "string"},
                            "message": {"type": "string"},
                            "sender_fault": {"type": "boolean"},
                        },
                    },
                },
            },
        },
        "ReceivedMessage": {
            "type": "object",
            "required": ["message_id", "body", "attributes", "receipt_handle", "receive_count"],
            "properties": {
                "message_id": {"type": "string"},
                "body": {"type": "string"},
                "attributes": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                    "description": (
                        f"Messages in confirmed carry {m.ORIGINAL_ID_ATTRIBUTE!r}: the message id "
                        "they had in pending. Binary attributes are base64."
                    ),
                },
                "receipt_handle": {"type": "string"},
                "receive_count": {"type": "integer", "minimum": 1},
            },
        },
        "Received": {
            "type": "object",
            "required": ["queue", "messages"],
            "properties": {
                "queue": queue,
                "messages": {"type": "array", "items": _ref("ReceivedMessage")},
            },
        },
        "Handle": {
            "type": "object",
            "required": ["queue", "receipt_handle"],
            "additionalProperties": False,
            "properties": {
                "queue": queue,
                "receipt_handle": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": m.MAX_RECEIPT_HANDLE_CHARS,
                    "pattern": m.RECEIPT_HANDLE_PATTERN,
                },
            },
        },
        "Deleted": {
            "type": "object",
            "required": ["queue", "deleted"],
            "properties": {"queue": queue, "deleted": {"const": True}},
        },
        "Released": {
            "type": "object",
            "required": ["queue", "released"],
            "properties": {"queue": queue, "released": {"const": True}},
        },
        "ConfirmOptions": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "max": _bounded(m.MIN_MAX_MESSAGES, m.MAX_MAX_MESSAGES, m.DEFAULT_MAX_MESSAGES),
                "wait": _bounded(m.MIN_WAIT_SECONDS, m.MAX_WAIT_SECONDS, m.DEFAULT_WAIT_SECONDS),
            },
        },
        "ConfirmResult": {
            "type": "object",
            "required": ["confirmed", "failed"],
            "properties": {
                "confirmed": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["message_id", "confirmed_message_id"],
                        "properties": {
                            "message_id": {"type": "string"},
                            "confirmed_message_id": {"type": "string"},
                        },
                    },
                },
                "failed": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["message_id", "stage", "code", "message", "outcome"],
                        "properties": {
                            "message_id": {"type": "string"},
                            "stage": {"type": "string", "enum": ["forward", "delete"]},
                            "code": {"type": "string"},
                            "message": {"type": "string"},
                            "outcome": {
                                "type": "string",
                                "enum": [
                                    "released",
                                    "returns_after_visibility_timeout",
                                    "forwarded_will_be_redelivered",
                                ],
                                "description": (
                                    "released: visible in pending again now; "
                                    "returns_after_visibility_timeout: SQS makes it visible again "
                                    "later; forwarded_will_be_redelivered: a copy is in confirmed "
                                    "and it stays in pending, so it will be forwarded again "
                                    f"(deduplicate on {m.ORIGINAL_ID_ATTRIBUTE!r})."
                                ),
                            },
                        },
                    },
                },
            },
        },
        "Health": {
            "type": "object",
            "required": ["status"],
            "properties": {"status": {"const": "ok"}},
        },
        "ReadinessCheck": {
            "type": "object",
            "required": ["name", "ok", "reason", "message"],
            "properties": {
                "name": {
                    "type": "string",
                    "enum": ["credentials", "pending_queue", "confirmed_queue"],
                },
                "ok": {"type": "boolean"},
                "reason": {"enum": [None, *READINESS_REASONS]},
                "message": {"type": "string"},
            },
        },
        "Ready": {
            "type": "object",
            "required": ["status", "ready"],
            "properties": {
                "status": {"const": "ready"},
                "ready": {"const": True},
                "checks": {
                    "type": "array",
                    "items": _ref("ReadinessCheck"),
                    "description": "Only with the API key.",
                },
            },
        },
        "NotReady": {
            "allOf": [
                _ref("Error"),
                {
                    "type": "object",
                    "required": ["status", "ready", "reason"],
                    "properties": {
                        "status": {"const": "not_ready"},
                        "ready": {"const": False},
                        "reason": {"type": "string", "enum": list(READINESS_REASONS)},
                        "checks": {
                            "type": "array",
                            "items": _ref("ReadinessCheck"),
                            "description": "Only with the API key.",
                        },
                    },
                },
            ]
        },
        "Identity": {
            "type": "object",
            "required": [
                "account",
                "arn",
                "principal_type",
                "role_name",
                "session_name",
                "user_id",
                "region",
                "credentials",
                "ecs",
                "warnings",
            ],
            "properties": {
                "account": {"type": "string"},
                "arn": {"type": "string"},
                "principal_type": {
                    "type": "string",
                    "enum": ["assumed-role", "user", "root", "federated-user", "unknown"],
                },
                "role_name": _nullable("string"),
                "session_name": _nullable("string"),
                "user_id": {"type": "string"},
                "region": _nullable("string"),
                "credentials": {
                    "type": "object",
                    "required": [
                        "source",
                        "description",
                        "access_key_id",
                        "expires_at",
                        "expires_in_seconds",
                    ],
                    "properties": {
                        "source": {
                            **_nullable("string"),
                            "description": "botocore's provider name: container-role, env, ...",
                        },
                        "description": {"type": "string"},
                        "access_key_id": {
                            **_nullable("string"),
                            "description": "Masked: at most the first and last 4 characters.",
                        },
                        "expires_at": {
                            **_nullable("string"),
                            "description": "UTC; null for credentials that do not expire.",
                        },
                        "expires_in_seconds": _nullable("integer"),
                        "container_endpoint": {
                            **_nullable("string"),
                            "description": (
                                "Which variable located the container credentials endpoint "
                                "(RELATIVE_URI or FULL_URI); never the token."
                            ),
                        },
                    },
                },
                "ecs": {
                    "type": ["object", "null"],
                    "description": "From the task metadata endpoint v4; null off ECS.",
                    "properties": {
                        name: _nullable("string")
                        for name in (
                            "task_arn",
                            "cluster",
                            "family",
                            "revision",
                            "launch_type",
                            "availability_zone",
                        )
                    },
                },
                "warnings": {"type": "array", "items": _ref("Warning")},
            },
        },
    }


def _enum(values: tuple[str, ...]) -> dict[str, Any]:
    return {"type": "string", "enum": list(values)}


def _bounded(low: int, high: int, default: int) -> dict[str, Any]:
    return {"type": "integer", "minimum": low, "maximum": high, "default": default}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def _body(schema_name: str, *, required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {_JSON: {"schema": _ref(schema_name)}}}


def operations() -> dict[str, dict[str, dict[str, Any]]]:
    """Every operation by path and method, with its Flask endpoint under ``x-endpoint``."""
    return {
        "/healthz": {
            "get": {
                "x-endpoint": "health.healthz",
                "summary": "Liveness (no AWS call).",
                "responses": {"200": _json(_ref("Health"), "The process serves requests.")},
            }
        },
        "/readyz": {
            "get": {
                "x-endpoint": "health.readyz",
                "summary": (
                    "Readiness: credentials resolve and both queues answer "
                    "sqs:GetQueueAttributes, within 5 s. Cached for 2 s. Without the API key "
                    "only ready or not and a reason code; the checks need the key."
                ),
                "responses": {
                    "200": _json(_ref("Ready"), "Ready."),
                    "503": _json(_ref("NotReady"), "Not ready, with a stable reason code."),
                },
            }
        },
        "/openapi.json": {
            "get": {
                "x-endpoint": "health.openapi",
                "summary": "This document.",
                "responses": {
                    "200": {
                        "description": "The OpenAPI document.",
                        "content": {_JSON: {"schema": {"type": "object"}}},
                    }
                },
            }
        },
        "/whoami": {
            "get": {
                "x-endpoint": "identity.whoami",
                "summary": "The identity this process holds, its credential source and warnings.",
                "responses": {
                    "200": _with_html(
                        _json(_ref("Identity"), "The credential checker's report."),
                        "The same report as a small HTML page, when Accept prefers text/html.",
                    ),
                    "503": _json(
                        _ref("IdentityErrorWithWarnings"),
                        "No credentials found, or STS unavailable; the warnings still apply.",
                    ),
                    **_errors("500"),
                },
            }
        },
        "/messages": {
            "post": {
                "x-endpoint": "messages.send",
                "summary": "Send one message to the pending queue.",
                "requestBody": _body("Message"),
                "responses": {
                    "201": _json(_ref("Sent"), "Sent."),
                    **_errors("400", "403", "413", "415", "500", "502", "503"),
                },
            },
            "get": {
                "x-endpoint": "messages.receive",
                "summary": "Receive messages (they stay in the queue until deleted).",
                "parameters": [
                    _query(
                        "queue",
                        {**_enum(m.QUEUE_NAMES), "default": m.DEFAULT_QUEUE},
                        "The queue to receive from.",
                    ),
                    _query(
                        "max",
                        _bounded(m.MIN_MAX_MESSAGES, m.MAX_MAX_MESSAGES, m.DEFAULT_MAX_MESSAGES),
                        "At most this many messages.",
                    ),
                    _query(
                        "wait",
                        _bounded(m.MIN_WAIT_SECONDS, m.MAX_WAIT_SECONDS, m.DEFAULT_WAIT_SECONDS),
                        "Long-poll up to this many seconds when the queue is empty.",
                    ),
                ],
                "responses": {
                    "200": _json(_ref("Received"), "The messages (possibly none)."),
                    **_errors("400", "403", "500", "502", "503"),
                },
            },
        },
        "/messages/batch": {
            "post": {
                "x-endpoint": "messages.send_batch",
                "summary": "Send 1-10 messages; a partial failure is a 200 with per-entry results.",
                "requestBody": _body("Batch"),
                "responses": {
                    "200": _json(_ref("BatchResult"), "Per entry: sent or failed."),
                    **_errors("400", "403", "413", "415", "500", "502", "503"),
                },
            }
        },
        "/messages/delete": {
            "post": {
                "x-endpoint": "messages.delete",
                "summary": "Delete a received message.",
                "requestBody": _body("Handle"),
                "responses": {
                    "200": _json(_ref("Deleted"), "Deleted."),
                    "404": _error("No message received from this queue has that receipt handle."),
                    **_errors("400", "403", "413", "415", "500", "502", "503"),
                },
            }
        },
        "/messages/release": {
            "post": {
                "x-endpoint": "messages.release",
                "summary": "Make a received message visible again now (visibility timeout 0).",
                "requestBody": _body("Handle"),
                "responses": {
                    "200": _json(_ref("Released"), "Released."),
                    "404": _error("No message received from this queue has that receipt handle."),
                    "409": _error("The message is no longer in flight."),
                    **_errors("400", "403", "413", "415", "500", "502", "503"),
                },
            }
        },
        "/messages/confirm": {
            "post": {
                "x-endpoint": "messages.confirm",
                "summary": (
                    "Receive from pending, send each message to confirmed with "
                    f"{m.ORIGINAL_ID_ATTRIBUTE!r}, then delete it from pending (only once "
                    "forwarded). A message that cannot be forwarded is released."
                ),
                "requestBody": _body("ConfirmOptions", required=False),
                "responses": {
                    "200": _json(_ref("ConfirmResult"), "Per message: confirmed or failed."),
                    **_errors("400", "413", "415", "500", "502"),
                    "403": _json(
                        {"allOf": [_ref("Error"), _ref("ConfirmResult")]},
                        "A denial stopped every message; the per-message results are included.",
                    ),
                    "503": _json(
                        {
                            "anyOf": [
                                {"allOf": [_ref("Error"), _ref("ConfirmResult")]},
                                _ref("Error"),
                            ]
                        },
                        "AWS unavailable; per-message results when messages had been received.",
                    ),
                },
            }
        },
    }


def openapi_document(app: Flask | None = None) -> dict[str, Any]:
    """The OpenAPI document; with an app whose API key is set, the protected routes require it."""
    return _build_document(_auth_required(app))


def openapi_json(app: Flask) -> str:
    """The document as JSON text, built and serialised once per process (and per key setting)."""
    return _serialised(_auth_required(app))


def _auth_required(app: Flask | None) -> bool:
    state = app.extensions.get(EXTENSION) if app is not None else None
    return state is not None and state.settings.api_key is not None


@functools.cache
def _serialised(auth_required: bool) -> str:
    return json.dumps(_build_document(auth_required), ensure_ascii=False)


def _build_document(auth_required: bool) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for path, methods in operations().items():
        paths[path] = {}
        for method, operation in methods.items():
            operation = dict(operation)
            operation["operationId"] = operation["x-endpoint"].replace(".", "_")
            if auth_required and operation["x-endpoint"] not in PUBLIC_ENDPOINTS:
                operation["security"] = [{"bearerAuth": []}, {"apiKeyHeader": []}]
                operation["responses"] = {
                    **operation["responses"],
                    "401": _error("The API key is missing or wrong (see WWW-Authenticate)."),
                }
            else:
                operation["security"] = []
            paths[path][method] = operation
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "courier",
            "version": API_VERSION,
            "description": (
                "Sends and confirms messages through two SQS queues (pending, confirmed) with the "
                "ECS task role. Errors share one shape: {error: {code, message}}; every response "
                f"carries {REQUEST_ID_HEADER}."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": _schemas(),
            "headers": {
                "RequestId": {
                    "description": "The request id (the client's, if sane, else a new one).",
                    "schema": {"type": "string"},
                }
            },
        },
    }
    if auth_required:
        document["components"]["securitySchemes"] = {
            "bearerAuth": {"type": "http", "scheme": "bearer"},
            "apiKeyHeader": {"type": "apiKey", "in": "header", "name": API_KEY_HEADER},
        }
    return document
