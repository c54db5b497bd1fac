"""Probes and the API document: public routes (no API key)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, request

from service.auth import presents_valid_key
from service.errors import NotReady
from service.openapi import openapi_json
from service.state import current_state

health = Blueprint("health", __name__)


@health.get("/healthz", provide_automatic_options=False)
def healthz() -> dict[str, Any]:
    """Liveness: the process serves requests. No AWS call."""
    return {"status": "ok"}


@health.get("/readyz", provide_automatic_options=False)
def readyz() -> dict[str, Any]:
    """Readiness: credentials resolve and both queues answer (cached for a few seconds).

    Anyone learns ready or not and a stable reason code; the checks' details (queue ARNs, the
    missing permission, the role) only a caller presenting the API key.
    """
    state = current_state()
    readiness = state.readiness.check()
    details: dict[str, Any] = {}
    if presents_valid_key(request.headers, state.settings.api_key):
        details["checks"] = [check.to_json() for check in readiness.checks]
    if not readiness.ready:
        reason = readiness.reason
        raise NotReady(f"not ready: {reason}").with_payload(
            status="not_ready", ready=False, reason=reason, **details
        )
    return {"status": "ready", "ready": True, **details}


@health.get("/openapi.json", provide_automatic_options=False)
def openapi() -> Response:
    """The OpenAPI 3 document of this API (serialised once, not per request)."""
    return current_app.response_class(openapi_json(current_app), mimetype="application/json")
