"""The API key: required on every route but the probes and the API document, when configured."""

from __future__ import annotations

import secrets

import pytest
from flask import Flask
from werkzeug.datastructures import Headers

from service.auth import PUBLIC_ENDPOINTS, key_matches, presented_keys
from tests.service.conftest import ApiClient, MotoQueues, build_app, env_for
from tests.service.secret_guard import GUARD

PROTECTED = [
    ("GET", "/whoami", None),
    ("GET", "/messages", None),
    ("POST", "/messages", {"body": "x"}),
    ("POST", "/messages/batch", {"messages": [{"body": "x"}]}),
    ("POST", "/messages/delete", {"queue": "pending", "receipt_handle": "h"}),
    ("POST", "/messages/release", {"queue": "pending", "receipt_handle": "h"}),
    ("POST", "/messages/confirm", {}),
]
PUBLIC = ["/healthz", "/readyz", "/openapi.json"]


@pytest.fixture(scope="module")
def module_key() -> str:
    key = secrets.token_urlsafe(24)
    GUARD.register(key)
    return key


@pytest.fixture(scope="module")
def anonymous(module_moto_queues: MotoQueues, module_key: str) -> ApiClient:
    """A client sending no key, of an app that requires one (shared: these requests reach no AWS)."""
    return ApiClient(build_app({**env_for(module_moto_queues), "API_KEY": module_key}))


@pytest.mark.parametrize(("method", "path", "payload"), PROTECTED)
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer wrong-key-wrong-key"},
        {"X-Api-Key": "wrong-key-wrong-key"},
        {"X-Api-Key": ""},
        {"X-Api-Key": "ünicode-key"},
    ],
)
def test_protected_routes_refuse_a_missing_or_wrong_key(
    anonymous: ApiClient, method: str, path: str, payload: object, headers: dict[str, str]
) -> None:
    response = anonymous.request(method, path, json=payload, headers=headers)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_bearer_token_is_accepted(keyed_app: Flask, api_key: str, scheme: str) -> None:
    client = ApiClient(keyed_app, headers={"Authorization": f"{scheme} {api_key}"})
    assert client.get("/messages").status_code == 200


def test_api_key_header_is_accepted(keyed_api: ApiClient) -> None:
    assert keyed_api.post("/messages", json={"body": "x"}).status_code == 201


@pytest.mark.parametrize("path", PUBLIC)
def test_probes_and_api_document_need_no_key(keyed_app: Flask, path: str) -> None:
    assert ApiClient(keyed_app).get(path).status_code == 200


def test_public_endpoints_are_exactly_the_probes_and_the_document(keyed_app: Flask) -> None:
    public_paths = {
        rule.rule for rule in keyed_app.url_map.iter_rules() if rule.endpoint in PUBLIC_ENDPOINTS
    }
    assert public_paths == set(PUBLIC)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/nope", 404),
        ("DELETE", "/messages", 405),
        ("GET", "/messages/confirm", 405),
        ("HEAD", "/messages", 405),
    ],
)
def test_routing_errors_come_before_the_key_check(
    anonymous: ApiClient, method: str, path: str, status: int
) -> None:
    assert anonymous.request(method, path).status_code == status


def test_key_check_comes_before_validation(anonymous: ApiClient) -> None:
    response = anonymous.post("/messages", data=b"not json", headers={"Content-Type": "text/plain"})
    assert response.status_code == 401


def test_without_a_configured_key_every_route_is_open(api: ApiClient) -> None:
    assert api.get("/whoami").status_code == 200
    assert api.get("/messages").status_code == 200


def test_presented_keys_reads_both_headers() -> None:
    headers = Headers({"Authorization": "Bearer one", "X-Api-Key": "two"})
    assert presented_keys(headers) == ["one", "two"]


@pytest.mark.parametrize(
    ("expected", "presented", "matches"),
    [("k" * 32, "k" * 32, True), ("k" * 32, "k" * 31, False), ("ключ", "ключ", True)],
)
def test_keys_compare_exactly(expected: str, presented: str, matches: bool) -> None:
    assert key_matches(expected, presented) is matches
