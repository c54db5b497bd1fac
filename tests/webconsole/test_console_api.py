"""The console's own endpoints, on a real runtime: who may use them, bad input, no secrets."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from ecslocal.tour import task_role_credentials
from ecslocal.webconsole.auth import ConsoleAuth, host_is_loopback
from tests.service.secret_guard import SecretGuard

TIMEOUT = 30


def call(state: dict[str, Any], method: str, path: str, key: bool = True, **kwargs: Any):
    headers = {"X-Api-Key": state["api_key"]} if key else {}
    headers.update(kwargs.pop("headers", {}))
    return requests.request(
        method, state["console_url"] + path, headers=headers, timeout=TIMEOUT, **kwargs
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", ""), ("GET", "api/state"), ("GET", "api/logs"), ("POST", "api/messages")],
)
def test_without_the_key_or_a_session_the_console_refuses(state, method, path):
    response = call(state, method, path, key=False, json={"body": "x"}, allow_redirects=False)
    assert response.status_code == 401
    if path.startswith("api/"):
        assert "error" in response.json()
    else:
        assert 'name="api_key"' in response.text  # the sign-in form, not the console


def test_a_wrong_key_is_refused(state):
    response = call(state, "GET", "api/state", key=False, headers={"X-Api-Key": "not-the-key"})
    assert response.status_code == 401


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1.nip.io", "10.0.0.1", "127.0.0.1:1"])
def test_a_host_header_that_is_not_loopback_is_refused(state, host):
    port = urlsplit(state["console_url"]).port
    header = host if ":" in host else f"{host}:{port}"
    response = call(state, "GET", "api/state", headers={"Host": header})
    assert response.status_code == 421
    assert response.json()["error"]["code"] == "wrong_host"


def test_signing_in_with_the_key_sets_a_strict_httponly_cookie(state):
    session = requests.Session()
    response = session.post(
        state["console_url"] + "login",
        data={"api_key": state["api_key"]},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert response.status_code == 303
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert session.get(state["console_url"] + "api/state", timeout=TIMEOUT).status_code == 200
    assert session.get(state["console_url"], timeout=TIMEOUT).status_code == 200


def test_the_login_token_works_once():
    auth = ConsoleAuth("the-api-key")
    token = auth.login_token()
    assert token
    session = auth.exchange(token=token)
    assert session and auth.allows({}, session)
    assert auth.exchange(token=token) is None  # single use
    assert auth.login_token() is None
    assert not auth.allows({}, "forged-session")
    assert auth.exchange(api_key="wrong") is None


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("127.0.0.1:8081", True),
        ("localhost:8081", True),
        ("[::1]:8081", True),
        ("LOCALHOST:8081", True),
        ("127.0.0.1:8080", False),
        ("evil.example:8081", False),
        ("127.0.0.1", False),
    ],
)
def test_only_loopback_names_on_the_console_port_are_accepted(host, allowed):
    assert host_is_loopback(host, 8081) is allowed


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("api/messages", {"body": ""}, 400, "invalid_body"),
        ("api/messages", {"body": 5}, 400, "invalid_body"),
        ("api/messages", {"body": "x" * 5000}, 400, "invalid_body"),
        ("api/messages", [1, 2], 400, "invalid_json"),
        ("api/messages/receive", {"queue": "other"}, 400, "invalid_queue"),
        ("api/messages/receive", {"max": 0}, 400, "invalid_max"),
        ("api/messages/receive", {"max": True}, 400, "invalid_max"),
        ("api/messages/release", {"queue": "pending"}, 400, "invalid_receipt_handle"),
        ("api/tour/0", {}, 404, "no_such_step"),
        ("api/tour/8", {}, 404, "no_such_step"),
    ],
)
def test_bad_input_is_a_4xx_json_error_naming_the_problem(state, path, body, status, code):
    response = call(state, "POST", path, json=body)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_a_body_that_is_not_json_is_415(state):
    response = call(state, "POST", "api/messages", data="body=x")
    assert response.status_code == 415
    assert "application/json" in response.json()["error"]["message"]


def test_a_bad_log_position_is_400(state):
    response = call(state, "GET", "api/logs?after=-1")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_after"


def test_an_invalid_receipt_handle_comes_back_as_the_services_4xx(state):
    response = call(
        state, "POST", "api/messages/release", json={"queue": "pending", "receipt_handle": "nope"}
    )
    assert 400 <= response.status_code < 500
    assert "error" in response.json()


def test_state_and_logs_show_no_secret_no_full_key_id_no_token(
    state: dict[str, Any], secret_guard: SecretGuard
):
    creds = task_role_credentials(state)
    secret_guard.register(creds["secret_access_key"], creds["session_token"])
    call(state, "POST", "api/messages", json={"body": "a message for the secret test"})
    snapshot = call(state, "GET", "api/state")
    logs = call(state, "GET", "api/logs")
    assert snapshot.status_code == 200 and logs.status_code == 200
    shown = snapshot.text + logs.text
    never = {
        "API key": state["api_key"],
        "authorization token": state["authorization_token"],
        "task-role access key id": creds["access_key_id"],
        "operator key id": state["operator"]["access_key_id"],
        "agent key id": state["agent"]["access_key_id"],
    }
    leaked = [name for name, value in never.items() if value in shown]
    assert leaked == []
    document = snapshot.json()
    assert document["execution_role"]["secrets"] == ["API_KEY"]  # the name, not the value
    assert "****" in document["task_role"]["whoami"]["credentials"]["access_key_id"]
    assert json.loads(logs.text)["lines"], "the container's log lines are shown"


def test_queue_actions_run_through_the_service_under_the_task_role(state):
    sent = call(state, "POST", "api/messages", json={"body": "console: receive and release"})
    assert sent.status_code == 201
    received = call(state, "POST", "api/messages/receive", json={"queue": "pending", "max": 10})
    assert received.status_code == 200
    mine = [m for m in received.json()["messages"] if m["message_id"] == sent.json()["message_id"]]
    assert mine
    released = call(
        state,
        "POST",
        "api/messages/release",
        json={"queue": "pending", "receipt_handle": mine[0]["receipt_handle"]},
    )
    assert released.status_code == 200 and released.json()["released"] is True
