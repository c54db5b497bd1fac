"""The gunicorn worker the service runs in: gevent, with gunicorn's own error pages made JSON.

gevent gives each connection a greenlet, not a thread: a client that drips its headers or a request
waiting on a hung AWS costs a few kilobytes, not one of a handful of slots, so ``/healthz`` is
never starved (docs/operating.md, "Worker model").

gunicorn rejects a malformed request (a lower-case method, a request line over 4094 bytes, a header
over 8190 bytes, NUL or non-UTF-8 bytes, conflicting ``Content-Length`` and ``Transfer-Encoding``)
before Flask sees it, answering with an HTML page and logging the request line. This worker
answers with the service's JSON error document instead and logs only the kind of error: the
request line can carry a query string, and the log never does.

On SIGTERM it also closes the connections that wait between requests (keep-alive, held open by a
load balancer for up to ``keepalive`` seconds): gunicorn's gevent worker would otherwise wait for
them until ``graceful_timeout`` before it exits, though no request is in flight.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import gevent
from gunicorn.http import errors as http_errors
from gunicorn.util import write_nonblock
from gunicorn.workers.ggevent import GeventWorker

from service.errors import error_body

# Status, reason phrase, error code and message for what gunicorn rejects; the first match wins.
# Messages are fixed text: gunicorn's own exception text quotes the request.
_REJECTIONS: tuple[tuple[type[BaseException], int, str, str, str], ...] = (
    (  # the application's fault, not the client's (a subclass of InvalidHeader)
        http_errors.InvalidResponseHeader | http_errors.InvalidResponseHeaderName,  # type: ignore[arg-type]
        500,
        "Internal Server Error",
        "internal_error",
        "internal error while writing the response",
    ),
    (
        http_errors.ConfigurationProblem,
        500,
        "Internal Server Error",
        "internal_error",
        "internal error while reading the request",
    ),
    (
        http_errors.ExpectationFailed,
        417,
        "Expectation Failed",
        "expectation_failed",
        "the Expect header is not supported (only 100-continue)",
    ),
    (
        http_errors.LimitRequestLine,
        414,
        "URI Too Long",
        "request_line_too_long",
        "the request line is longer than the server accepts (4094 bytes)",
    ),
    (
        http_errors.LimitRequestHeaders,
        431,
        "Request Header Fields Too Large",
        "headers_too_large",
        "a header is longer than the server accepts (8190 bytes), or there are too many",
    ),
    (
        http_errors.UnsupportedTransferCoding,
        501,
        "Not Implemented",
        "unsupported_transfer_coding",
        "the Transfer-Encoding is not supported (only chunked)",
    ),
    (
        http_errors.InvalidRequestMethod,
        400,
        "Bad Request",
        "invalid_method",
        "the request method is not valid (methods are upper-case tokens)",
    ),
    (
        http_errors.InvalidHTTPVersion,
        400,
        "Bad Request",
        "invalid_http_version",
        "the HTTP version is not valid",
    ),
    (
        http_errors.InvalidRequestLine,
        400,
        "Bad Request",
        "invalid_request_line",
        "the request line is not valid HTTP (control or non-UTF-8 bytes, or a bad form)",
    ),
    (
        http_errors.InvalidHeaderName,
        400,
        "Bad Request",
        "invalid_header",
        "a header name is not valid",
    ),
    (
        http_errors.InvalidHeader,
        400,
        "Bad Request",
        "invalid_header",
        "a header is not valid (for example Content-Length and Transfer-Encoding together)",
    ),
    (
        http_errors.ParseException,
        400,
        "Bad Request",
        "invalid_request",
        "the request is not valid HTTP",
    ),
)

log = logging.getLogger("service.httpworker")


def rejection_for(exc: BaseException) -> tuple[int, str, str, str]:
    """Status, reason phrase, error code and message for an error gunicorn raised on a request."""
    for error_type, status, reason, code, message in _REJECTIONS:
        if isinstance(exc, error_type):
            return status, reason, code, message
    return (
        500,
        "Internal Server Error",
        "internal_error",
        "internal error while reading the request",
    )


def json_error_response(status: int, reason: str, code: str, message: str) -> bytes:
    """A complete HTTP/1.1 response carrying the JSON error document; the connection closes."""
    body = json.dumps(error_body(code, message)).encode("utf-8")
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "\r\n"
    )
    return head.encode("latin-1") + body


class JsonErrorWorker(GeventWorker):
    """gunicorn's gevent worker, answering requests it rejects with the JSON error document."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Connection greenlets waiting for their next request, with the timeout that bounds it.
        self._waiting: dict[Any, gevent.Timeout] = {}

    @contextmanager
    def timeout_ctx(self) -> Iterator[None]:
        """gunicorn's keep-alive wait for the next request, which shutdown can end early."""
        timeout = gevent.Timeout(self.cfg.keepalive, False)  # False: expiry ends the wait quietly
        connection = gevent.getcurrent()
        self._waiting[connection] = timeout
        try:
            with timeout:
                yield
        finally:
            self._waiting.pop(connection, None)

    def handle_exit(self, sig: int, frame: Any) -> None:
        """SIGTERM: stop, and end every wait for a next request now (not in the signal handler)."""
        super().handle_exit(sig, frame)
        gevent.spawn(self._end_waits)

    def _end_waits(self) -> None:
        # Raising a wait's own timeout ends it as if it had expired: gunicorn closes the connection.
        for connection, timeout in list(self._waiting.items()):
            connection.kill(timeout, block=False)

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        status, reason, code, message = rejection_for(exc)
        # The exception's text and the request line can carry the query string: log the type.
        if status >= 500:
            log.error(
                "error handling a request (%s)",
                type(exc).__name__,
                extra={"event": "server_error", "exception_type": type(exc).__name__},
            )
        else:
            log.warning(
                "rejected a malformed request: %s",
                code,
                extra={"event": "rejected", "status": status, "error": code},
            )
        try:
            write_nonblock(client, json_error_response(status, reason, code, message))
        except Exception:
            log.debug("could not send the error response")
