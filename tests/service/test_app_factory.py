"""create_app: configuration validated once, clients and checker built once and kept on the app."""

from __future__ import annotations

from pathlib import Path

import boto3
import boto3.session
import pytest
from flask import Flask

from service.app import create_app
from service.config import ConfigError
from service.state import EXTENSION
from tests.service.conftest import ApiClient, isolate_from_host_aws


@pytest.mark.parametrize(
    ("environ", "problems"),
    [
        ({}, ["AWS_REGION", "PENDING_QUEUE_URL is not set", "CONFIRMED_QUEUE_URL is not set"]),
        (
            {
                "AWS_REGION": "us-east-1",
                "PENDING_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/q",
                "CONFIRMED_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/q",
            },
            ["name the same queue"],
        ),
    ],
)
def test_invalid_configuration_raises_config_error_naming_each_problem(
    environ: dict[str, str], problems: list[str]
) -> None:
    with pytest.raises(ConfigError) as raised:
        create_app(environ=environ)
    for problem in problems:
        assert any(problem in text for text in raised.value.problems)


@pytest.mark.parametrize(
    ("variables", "problem"),
    [
        ({"AWS_PROFILE": "no-such-profile"}, "could not be found"),
        ({"AWS_ACCESS_KEY_ID": "AKIAEXAMPLEEXAMPLE00"}, "Partial credentials"),
    ],
)
def test_a_credential_chain_that_cannot_load_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    variables: dict[str, str],
    problem: str,
) -> None:
    isolate_from_host_aws(monkeypatch, tmp_path)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    environ = {
        "AWS_REGION": "us-east-1",
        "PENDING_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/a",
        "CONFIRMED_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/b",
    }
    with pytest.raises(ConfigError) as raised:
        create_app(environ=environ)
    (text,) = raised.value.problems
    assert text.startswith("the AWS credential chain cannot be loaded")
    assert problem in text


def test_requests_build_no_clients_or_sessions(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[str] = []
    original = boto3.session.Session.client

    def client(self: boto3.session.Session, *args: object, **kwargs: object) -> object:
        built.append(str(args[0] if args else kwargs.get("service_name")))
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(boto3.session.Session, "client", client)
    api = ApiClient(app)
    for path in ("/whoami", "/messages", "/readyz"):
        assert api.get(path).status_code == 200
    assert api.post("/messages", json={"body": "x"}).status_code == 201
    assert built == []


def test_checker_and_clients_hang_off_the_app(app: Flask) -> None:
    state = app.extensions[EXTENSION]
    assert state.checker.last_report() is not None  # the start-up identity check
    assert state.clients.sqs.meta.region_name == state.settings.region
    assert state.clients.sts.meta.region_name == state.settings.region
