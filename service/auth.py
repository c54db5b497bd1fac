"""The API key check: when ``API_KEY`` is configured, every route but the probes and the API
document requires it, as ``Authorization: Bearer <key>`` or ``X-Api-Key: <key>``.

Keys are compared in constant time (:func:`hmac.compare_digest`) and never logged or echoed.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from flask import Flask, request
from werkzeug.datastructures import Headers

from service.errors import Unauthorized

# Endpoints (blueprint.function) a load balancer or a client reaches without the key.
PUBLIC_ENDPOINTS = frozenset({"health.healthz", "health.readyz", "health.openapi"})
API_KEY_HEADER = "X-Api-Key"


def presented_keys(headers: Headers) -> list[str]:
    """The keys a request presents: the bearer token and the ``X-Api-Key`` header, if any."""
    keys = []
    scheme, _, token = headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        keys.append(token.strip())
    api_key = headers.get(API_KEY_HEADER, "")
    if api_key:
        keys.append(api_key)
    return keys


def key_matches(expected: str, presented: str) -> bool:
    """Constant-time comparison (on bytes: ``compare_digest`` refuses non-ASCII text)."""
    return hmac.compare_digest(expected.encode("utf-8"), presented.encode("utf-8"))


def presents_valid_key(headers: Headers, expected: str | None) -> bool:
    """Whether the request presents the configured key, and only it (False when none is set).

    A request that sends the key in one header and something else in the other is refused: one
    of its credentials is wrong, and which one a client meant is not ours to guess.
    """
    keys = presented_keys(headers)
    if expected is None or not keys:
        return False
    # Check every presented key, so the time taken does not reveal which one was wrong.
    return sum(key_matches(expected, key) for key in keys) == len(keys)


def install_api_key_check(app: Flask, api_key: Callable[[], str | None]) -> None:
    """Require the API key on every non-public route when ``api_key()`` returns one.

    Routing errors (404, 405) are left to be raised first: the check runs only for a matched route.
    """

    @app.before_request
    def require_api_key() -> None:
        expected = api_key()
        if expected is None or request.routing_exception is not None:
            return
        if request.endpoint in PUBLIC_ENDPOINTS:
            return
        keys = presented_keys(request.headers)
        if not keys:
            raise Unauthorized(
                f"this route requires the API key: send 'Authorization: Bearer <key>' or "
                f"'{API_KEY_HEADER}: <key>'"
            )
        if not presents_valid_key(request.headers, expected):
            raise Unauthorized("the API key is not valid")
