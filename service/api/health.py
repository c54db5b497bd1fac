"""Probes and the API document: public routes (no API key)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app

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
    """Readiness: credentials resolve and both queues answer (cached for a few seconds)."""
    readiness = current_state().readiness.check()
    checks = [check.to_json() for check in readiness.checks]
    if not readiness.ready:
        failing = "; ".join(f"{check.name}: {check.message}" for check in readiness.failing)
        raise NotReady(f"not ready: {failing}").with_payload(status="not_ready", checks=checks)
    return {"status": "ready", "checks": checks}


@health.get("/openapi.json", provide_automatic_options=False)
def openapi() -> Response:
    """The OpenAPI 3 document of this API (serialised once, not per request)."""
    return current_app.response_class(openapi_json(current_app), mimetype="application/json")
