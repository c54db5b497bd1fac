"""Domain errors and the one place that turns every error into the JSON shape clients see.

Every error response is ``{"error": {"code": ..., "message": ...}}``, with optional extra fields in the
error object (``warnings``, ``action`` ...) and, for partial results, extra top-level fields. Views
raise :class:`ServiceError` subclasses; :func:`register_error_handlers` maps them, werkzeug's HTTP
errors (404, 405, 413 ...) and, as a last resort, genuine bugs (a JSON 500 without a stack trace).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from flask import Flask, Response, g, jsonify
from werkzeug.exceptions import HTTPException

if TYPE_CHECKING:
    from service.identity.model import IdentityWarning

log = logging.getLogger(__name__)


class ServiceError(Exception):
    """An error with an HTTP status, a stable code and a message that says what to do."""

    status = 500
    code = "internal_error"
    # Seconds a client should wait before trying again (sent as ``Retry-After``), for errors
    # that pass by themselves: AWS unreachable, the service busy, not ready yet.
    retry_after: int | None = None

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields  # extra members of the error object
        self.payload: dict[str, Any] = {}  # extra top-level members (partial results)
        self.headers: dict[str, str] = {}
        if self.retry_after is not None:
            self.headers["Retry-After"] = str(self.retry_after)

    def with_payload(self, **payload: Any) -> ServiceError:
        """Attach top-level members to the response (e.g. per-message results)."""
        self.payload.update(payload)
        return self


class BadRequest(ServiceError):
    status = 400
    code = "invalid_request"


class Unauthorized(ServiceError):
    status = 401
    code = "unauthorized"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.headers["WWW-Authenticate"] = 'Bearer realm="courier"'


class PayloadTooLarge(ServiceError):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(ServiceError):
    status = 415
    code = "unsupported_media_type"


class InvalidReceiptHandle(ServiceError):
    """No message received from this queue has the handle: the thing named is not there."""

    status = 404
    code = "invalid_receipt_handle"


class MessageNotInFlight(ServiceError):
    status = 409
    code = "message_not_in_flight"


class RejectedBySqs(ServiceError):
    """SQS refused the request as malformed (a rule the service did not check first)."""

    status = 400
    code = "rejected_by_sqs"


class AccessDenied(ServiceError):
    """AWS denied an action. The role that lacks it is named when the response is rendered."""

    status = 403
    code = "access_denied"

    def __init__(self, action: str, resource: str, principal_arn: str | None = None) -> None:
        super().__init__(f"not authorized to perform {action} on {resource}")
        self.action = action
        self.resource = resource
        self.principal_arn = principal_arn


class AwsRequestFailed(ServiceError):
    """AWS answered with an error the service has no better mapping for."""

    status = 502
    code = "aws_error"


class CredentialsRejected(ServiceError):
    status = 503
    retry_after = 5
    code = "credentials_rejected"


class AwsUnavailable(ServiceError):
    status = 503
    retry_after = 5
    code = "aws_unavailable"


class QueueUnavailable(ServiceError):
    status = 503
    retry_after = 5
    code = "queue_unavailable"


class IdentityUnavailable(ServiceError):
    """The identity could not be reported: STS could not be reached, or it rejected the credentials.

    The message is safe to show; ``warnings`` are the identity warnings that still apply (the
    ``/whoami`` response and the CLI show them next to the error).
    """

    status = 503
    retry_after = 5
    code = "identity_unavailable"

    def __init__(self, message: str, warnings: Iterable[IdentityWarning] = ()) -> None:
        super().__init__(message)
        self.warnings = tuple(warnings)


class CredentialsUnavailable(IdentityUnavailable):
    """The credential chain found no usable credentials (or they could not be loaded)."""

    code = "no_credentials"


class Busy(ServiceError):
    """Every slot for AWS-backed requests is taken: the client should come back shortly."""

    status = 503
    code = "busy"
    retry_after = 1


class NotReady(ServiceError):
    status = 503
    retry_after = 5
    code = "not_ready"


# Codes for werkzeug's own HTTP errors, so 404 and 405 read like every other error.
_HTTP_CODES = {
    400: "invalid_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def error_body(code: str, message: str, **fields: Any) -> dict[str, Any]:
    """The one error shape."""
    return {"error": {"code": code, "message": message, **fields}}


def _respond(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def register_error_handlers(
    app: Flask,
    translate_aws: Callable[[Exception], ServiceError],
    render_access_denied: Callable[[AccessDenied], str],
) -> None:
    """Map every exception a request can raise to the JSON error shape, once for the whole app.

    ``translate_aws`` turns a stray botocore exception into a :class:`ServiceError`;
    ``render_access_denied`` writes a denial's message naming the role that lacks the action.
    """

    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError) -> Response:
        message = exc.message
        fields = dict(exc.fields)
        if isinstance(exc, AccessDenied):
            message = render_access_denied(exc)
            fields.update(action=exc.action, resource=exc.resource)
        body = error_body(exc.code, message, **fields)
        body.update(exc.payload)
        return _respond(exc.status, body, exc.headers)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        code = _HTTP_CODES.get(status, (exc.name or "error").lower().replace(" ", "_"))
        headers = {}
        if status == 405 and exc.valid_methods:  # type: ignore[attr-defined]
            headers["Allow"] = ", ".join(sorted(exc.valid_methods))  # type: ignore[attr-defined]
        message = {
            404: "no such route; see /openapi.json for the API",
            405: "method not allowed on this route",
            413: "request body too large to hold a valid message",
        }.get(status, exc.description or exc.name)
        return _respond(status, error_body(code, message), headers)

    @app.errorhandler(Exception)
    def last_resort(exc: Exception) -> Response:
        if isinstance(exc, BotoCoreError | ClientError):
            return service_error(translate_aws(exc))
        # A genuine bug. Log where it happened and the exception type, never its text: messages
        # of arbitrary exceptions can carry request data or credentials.
        frames = [
            f"{frame.filename}:{frame.lineno} in {frame.name}"
            for frame in traceback.extract_tb(exc.__traceback__)
        ]
        log.error(
            "unhandled exception",
            extra={"exception_type": type(exc).__name__, "frames": frames},
        )
        request_id = g.get("request_id", "unknown")
        return _respond(
            500,
            error_body(
                "internal_error",
                f"internal error; the service log has the details under request id {request_id}",
            ),
        )
