"""The credentials endpoint's contract, over the real rotating-credentials model."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from ecslocal.credentials import RoleCredentials, RotatingCredentials
from ecslocal.credentials_endpoint import create_credentials_app

TOKEN = "the-authorization-token"


def make_issuer():
    count = {"n": 0}

    def issue() -> RoleCredentials:
        count["n"] += 1
        now = datetime.now(UTC)
        return RoleCredentials(
            f"ASIAKEY{count['n']}",
            f"secret{count['n']}",
            f"session{count['n']}",
            now + timedelta(minutes=15),
            "arn:aws:iam::123456789012:role/courier-dev-task",
            now,
        )

    return issue


@pytest.fixture
def rotating() -> RotatingCredentials:
    return RotatingCredentials(make_issuer())


@pytest.fixture
def client(rotating):
    return create_credentials_app({"cred-id": rotating}, TOKEN).test_client()


def test_valid_token_and_id_return_the_credentials_document(client):
    response = client.get("/v2/credentials/cred-id", headers={"Authorization": TOKEN})
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"AccessKeyId", "SecretAccessKey", "Token", "Expiration", "RoleArn"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["Expiration"])
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": ""}, 401),
        ({"Authorization": "wrong"}, 403),
        ({"Authorization": TOKEN + "x"}, 403),
        ({"Authorization": f"Bearer {TOKEN}"}, 403),
    ],
)
def test_missing_or_wrong_token_is_refused_without_echoing_it(client, headers, status):
    response = client.get("/v2/credentials/cred-id", headers=headers)
    assert response.status_code == status
    text = response.get_data(as_text=True)
    assert "AccessKeyId" not in text
    assert TOKEN not in text
    assert set(response.get_json()) == {"code", "message"}


@pytest.mark.parametrize(
    "path", ["/v2/credentials/other", "/v2/credentials/", "/v2/credentials", "/v1/x"]
)
def test_unknown_ids_and_paths_are_404(client, path):
    response = client.get(path, headers={"Authorization": TOKEN})
    assert response.status_code == 404
    assert "code" in response.get_json()


def test_other_methods_are_refused_with_json(client):
    response = client.post("/v2/credentials/cred-id", headers={"Authorization": TOKEN})
    assert response.status_code == 405
    assert response.get_json()["code"] == "MethodNotAllowed"


def test_rotated_keys_are_served_at_once(client, rotating):
    first = client.get("/v2/credentials/cred-id", headers={"Authorization": TOKEN}).get_json()
    rotating.rotate()
    second = client.get("/v2/credentials/cred-id", headers={"Authorization": TOKEN}).get_json()
    assert second["AccessKeyId"] != first["AccessKeyId"]


def test_without_a_token_it_serves_like_the_link_local_endpoint(rotating):
    client = create_credentials_app({"cred-id": rotating}, None).test_client()
    assert client.get("/v2/credentials/cred-id").status_code == 200
    assert client.get("/v2/credentials/nope").status_code == 404


def test_an_sts_failure_is_a_json_503_without_details():
    def failing() -> RoleCredentials:
        raise RuntimeError("secret detail")

    client = create_credentials_app({"id": RotatingCredentials(failing)}, TOKEN).test_client()
    response = client.get("/v2/credentials/id", headers={"Authorization": TOKEN})
    assert response.status_code == 503
    assert "secret detail" not in response.get_data(as_text=True)
