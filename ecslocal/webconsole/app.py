"""The console's Flask app: the page, its assets and a small JSON API, all behind :class:`ConsoleAuth`.

Routes stay thin: validate, call the :class:`RuntimeView`, shape JSON. Bad input is a 4xx JSON error
naming the problem; POSTs must be JSON (a cross-site form cannot send that without a preflight).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, make_response, redirect, render_template, request
from werkzeug.exceptions import HTTPException

from ecslocal.webconsole.auth import COOKIE, ConsoleAuth, host_is_loopback
from ecslocal.webconsole.steps import StepAlreadyRunning
from service.messages import QUEUE_NAMES

MAX_BODY_CHARS = 4096
MAX_RECEIVE = 10
REFRESH_SECONDS = 2
PUBLIC = frozenset({"login", "static"})


class ConsoleError(Exception):
    """A request the console refuses; becomes ``{"error": {"code", "message"}}``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _error(status: int, code: str, message: str) -> Any:
    return jsonify({"error": {"code": code, "message": message}}), status


def _json_object() -> dict[str, Any]:
    if not request.is_json:
        raise ConsoleError(415, "unsupported_media_type", "send the body as application/json")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ConsoleError(400, "invalid_json", "the body must be a JSON object")
    return body


def _queue(body: dict[str, Any]) -> str:
    queue = body.get("queue", "pending")
    if queue not in QUEUE_NAMES:
        raise ConsoleError(400, "invalid_queue", f"queue must be one of {', '.join(QUEUE_NAMES)}")
    return str(queue)


def create_console_app(view: Any, auth: ConsoleAuth, port: int) -> Flask:
    """The console for ``view``, answering only on loopback names with ``port``."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024

    @app.errorhandler(ConsoleError)
    def console_error(exc: ConsoleError) -> Any:
        return _error(exc.status, exc.code, exc.message)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        return _error(
            exc.code or 400, (exc.name or "error").lower().replace(" ", "_"), exc.description or ""
        )

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Any:  # never a stack trace on the page
        return _error(502, "runtime_error", f"the runtime could not answer: {type(exc).__name__}")

    @app.before_request
    def guard() -> Any:
        if not host_is_loopback(request.host, port):
            return _error(
                421, "wrong_host", "the console answers only on 127.0.0.1, localhost or [::1]"
            )
        if request.endpoint in PUBLIC or request.routing_exception is not None:
            return None
        token = request.args.get("token")
        if token is not None and request.endpoint == "page":
            session = auth.exchange(token=token)
            if session is None:
                return _login_page(
                    "This link has been used already. Sign in with the API key.", 401
                )
            response = redirect("/", code=303)
            _set_cookie(response, session)
            return response
        if auth.allows(request.headers, request.cookies.get(COOKIE)):
            return None
        if request.endpoint == "page":
            return _login_page("", 401)
        return _error(401, "unauthorized", "sign in with the one-time link or send the API key")

    def _set_cookie(response: Any, session: str) -> None:
        response.set_cookie(COOKIE, session, httponly=True, samesite="Strict", path="/")

    def _login_page(message: str, status: int) -> Any:
        return make_response(render_template("login.html", message=message), status)

    @app.post("/login")
    def login() -> Any:
        session = auth.exchange(api_key=request.form.get("api_key", ""))
        if session is None:
            return _login_page("That is not the API key.", 401)
        response = redirect("/", code=303)
        _set_cookie(response, session)
        return response

    @app.get("/")
    def page() -> Any:
        return render_template("console.html", refresh_seconds=REFRESH_SECONDS)

    @app.get("/api/state")
    def state() -> Any:
        return jsonify(view.snapshot())

    @app.get("/api/logs")
    def logs() -> Any:
        after = request.args.get("after", "0")
        if not after.isdigit():
            raise ConsoleError(400, "invalid_after", "after must be a whole number of log events")
        return jsonify(view.logs(int(after)))

    @app.post("/api/messages")
    def send() -> Any:
        body = _json_object().get("body")
        if not isinstance(body, str) or not body.strip():
            raise ConsoleError(400, "invalid_body", "body must be a non-empty string")
        if len(body) > MAX_BODY_CHARS:
            raise ConsoleError(
                400, "invalid_body", f"body must be at most {MAX_BODY_CHARS} characters"
            )
        return _relay(*view.call_service("POST", "/messages", {"body": body}))

    @app.post("/api/messages/receive")
    def receive() -> Any:
        body = _json_object()
        queue = _queue(body)
        count = body.get("max", 1)
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_RECEIVE:
            raise ConsoleError(
                400, "invalid_max", f"max must be a whole number from 1 to {MAX_RECEIVE}"
            )
        return _relay(*view.call_service("GET", f"/messages?queue={queue}&max={count}&wait=1"))

    @app.post("/api/messages/confirm")
    def confirm() -> Any:
        _json_object()
        return _relay(*view.call_service("POST", "/messages/confirm", {"wait": 1}))

    @app.post("/api/messages/release")
    def release() -> Any:
        body = _json_object()
        queue = _queue(body)
        handle = body.get("receipt_handle")
        if not isinstance(handle, str) or not handle:
            raise ConsoleError(
                400, "invalid_receipt_handle", "receipt_handle must be a non-empty string"
            )
        return _relay(
            *view.call_service(
                "POST", "/messages/release", {"queue": queue, "receipt_handle": handle}
            )
        )

    @app.post("/api/tour/<int:number>")
    def run_step(number: int) -> Any:
        _json_object()
        if not 1 <= number <= len(view.steps.steps):
            raise ConsoleError(
                404, "no_such_step", f"steps are numbered 1 to {len(view.steps.steps)}"
            )
        try:
            view.steps.start(number)
        except StepAlreadyRunning as exc:
            raise ConsoleError(409, "step_running", str(exc)) from None
        return jsonify({"step": number, "status": "running"}), 202

    @app.after_request
    def headers(response: Any) -> Any:
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'"
        )
        return response

    return app


def _relay(status: int, body: Any) -> Any:
    """The service's answer as the console's answer (its errors are already JSON)."""
    if not isinstance(body, dict):
        return _error(502, "service_error", f"the service answered {status} without JSON")
    return jsonify({"status": status, **body}), status
