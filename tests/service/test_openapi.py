"""/openapi.json: a valid OpenAPI document naming every route of the app, and nothing else."""

from __future__ import annotations

import pytest
from flask import Flask
from openapi_spec_validator import validate

from service import messages as m
from service import openapi
from service.openapi import openapi_document
from tests.service.conftest import ApiClient

IMPLICIT_METHODS = {"HEAD", "OPTIONS"}


def routes(app: Flask) -> dict[tuple[str, str], str]:
    """(path, method) -> endpoint for every route the app serves."""
    return {
        (rule.rule, method.lower()): rule.endpoint
        for rule in app.url_map.iter_rules()
        for method in (rule.methods or set()) - IMPLICIT_METHODS
    }


def documented(document: dict) -> dict[tuple[str, str], str]:
    return {
        (path, method): operation["x-endpoint"]
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }


@pytest.mark.parametrize("with_key", [False, True])
def test_document_is_valid_openapi(app: Flask, keyed_app: Flask, with_key: bool) -> None:
    validate(openapi_document(keyed_app if with_key else app))


def test_every_route_is_documented_and_nothing_else(app: Flask) -> None:
    assert documented(openapi_document(app)) == routes(app)


def test_served_document_is_the_apps_document(
    api: ApiClient, app: Flask, keyed_api: ApiClient, keyed_app: Flask
) -> None:
    assert api.get("/openapi.json").json == openapi_document(app)
    assert keyed_api.get("/openapi.json").json == openapi_document(keyed_app)
    assert openapi_document(app) != openapi_document(keyed_app)


def test_served_document_is_built_once(api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> None:
    built = []
    original = openapi.operations

    def counting_operations() -> dict:
        built.append(1)
        return original()

    monkeypatch.setattr(openapi, "operations", counting_operations)
    bodies = {api.get("/openapi.json").get_data() for _ in range(3)}
    assert len(bodies) == 1
    assert len(built) <= 1  # none when an earlier test already served it in this process


def test_receive_defaults_are_documented(app: Flask) -> None:
    parameters = {
        p["name"]: p["schema"]
        for p in openapi_document(app)["paths"]["/messages"]["get"]["parameters"]
    }
    assert parameters["queue"]["default"] == m.DEFAULT_QUEUE == "pending"
    assert parameters["queue"]["enum"] == ["pending", "confirmed"]
    assert (
        parameters["max"]["default"],
        parameters["max"]["minimum"],
        parameters["max"]["maximum"],
    ) == (
        1,
        1,
        10,
    )
    assert (
        parameters["wait"]["default"],
        parameters["wait"]["minimum"],
        parameters["wait"]["maximum"],
    ) == (
        0,
        0,
        20,
    )


def test_confirm_defaults_are_documented(app: Flask) -> None:
    options = openapi_document(app)["components"]["schemas"]["ConfirmOptions"]["properties"]
    assert options["max"]["default"] == m.DEFAULT_MAX_MESSAGES
    assert options["wait"]["default"] == m.DEFAULT_WAIT_SECONDS


def test_error_shape_is_documented(app: Flask) -> None:
    error = openapi_document(app)["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    assert error["properties"]["error"]["required"] == ["code", "message"]


def test_protected_operations_require_the_key_only_when_one_is_configured(
    app: Flask, keyed_app: Flask
) -> None:
    open_doc, keyed_doc = openapi_document(app), openapi_document(keyed_app)
    assert "securitySchemes" not in open_doc["components"]
    assert set(keyed_doc["components"]["securitySchemes"]) == {"bearerAuth", "apiKeyHeader"}
    for (path, method), _ in documented(keyed_doc).items():
        operation = keyed_doc["paths"][path][method]
        public = path in ("/healthz", "/readyz", "/openapi.json")
        assert (operation["security"] == []) is public
        assert ("401" in operation["responses"]) is not public
        assert "401" not in open_doc["paths"][path][method]["responses"]
