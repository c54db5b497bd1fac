"""The task-role credentials endpoint: ``GET /v2/credentials/<id>`` over loopback HTTP.

A thin layer over :class:`ecslocal.credentials.RotatingCredentials`. With a token (the default, the
``AWS_CONTAINER_CREDENTIALS_FULL_URI`` form) the ``Authorization`` header must equal it: 401 when it
is missing, 403 when it is wrong. Without one it behaves like ECS's link-local endpoint, which only
the task can reach (the ``RELATIVE_URI`` form). Unknown ids get 404. Errors are JSON
``{"code": ..., "message": ...}`` and never repeat the token or a key.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from ecslocal.credentials import RotatingCredentials

CREDENTIALS_PATH = "/v2/credentials/"
log = logging.getLogger("ecslocal.credentials")


def _error(status: int, code: str, message: str):
    response = jsonify(code=code, message=message)
    response.status_code = status
    return response


def create_credentials_app(vault: Mapping[str, RotatingCredentials], token: str | None) -> Flask:
    """A Flask app serving the credentials in ``vault`` (credentials id -> role credentials)."""
    app = Flask("ecslocal.credentials_endpoint")

    @app.get(f"{CREDENTIALS_PATH}<credentials_id>")
    def credentials(credentials_id: str):
        if token is not None:
            given = request.headers.get("Authorization")
            if not given:
                return _error(401, "MissingAuthorization", "the Authorization header is required")
            if not hmac.compare_digest(given.encode(), token.encode()):
                return _error(403, "InvalidAuthorization", "the authorization token is not valid")
        rotating = vault.get(credentials_id)
        if rotating is None:
            return _error(404, "InvalidIdInRequest", "no credentials for that id")
        try:
            creds = rotating.current()
        except Exception as exc:  # an STS failure must not become a stack trace for the SDK
            log.error("cannot issue role credentials: %s", type(exc).__name__)
            return _error(503, "CredentialsUnavailable", "role credentials cannot be issued now")
        response = jsonify(creds.container_document())
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return _error(exc.code or 500, exc.name.replace(" ", ""), exc.description or exc.name)

    return app
