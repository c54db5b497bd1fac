"""Fixtures for the service's tests: moto in-process with the service's two queues, the app, and a
test client that checks every response against the OpenAPI document."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import botocore.loaders
import botocore.session
import pytest
from flask import Flask
from moto import mock_aws
from werkzeug.test import TestResponse

from artifacts.context import DeploymentContext
from service.app import create_app
from service.aws import build_clients
from service.openapi import openapi_document
from service.state import IDENTITY_AT_START
from tests.service.openapi_check import response_problems
from tests.service.secret_guard import SecretGuard
from tests.support.processes import create_service_queues

CONTEXT = DeploymentContext()
# botocore reads its service models per session; sharing the loader keeps each test's fresh
# session (its own credential resolution) from re-reading them.
_LOADER = botocore.loaders.create_loader()


def fresh_session(region: str = CONTEXT.region) -> boto3.Session:
    """A new boto3 session (credentials resolved afresh) sharing the parsed service models."""
    core = botocore.session.get_session()
    core.register_component("data_loader", _LOADER)
    return boto3.Session(botocore_session=core, region_name=region)


def isolate_from_host_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No AWS or ECS setting of the machine running the tests reaches the code under test."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "ECS_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # botocore also reads SSO and login caches under ~/.aws.
    monkeypatch.setenv("HOME", str(tmp_path))


@dataclass(frozen=True)
class MotoQueues:
    """The service's queues in moto, and a client to look at them from outside the service."""

    pending_url: str
    confirmed_url: str
    sqs: Any

    def count(self, url: str) -> int:
        """Messages in a queue, visible or in flight."""
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )


@contextlib.contextmanager
def moto_with_queues(tmp_path: Path) -> Iterator[MotoQueues]:
    """moto in-process (its fake environment keys) with the pending and confirmed queues."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate_from_host_aws(monkeypatch, tmp_path)
        with mock_aws():
            sqs = fresh_session().client("sqs")
            pending, confirmed = create_service_queues(sqs)
            yield MotoQueues(pending, confirmed, sqs)


def env_for(queues: MotoQueues) -> dict[str, str]:
    """The service's environment, as the task definition sets it."""
    return {
        "AWS_REGION": CONTEXT.region,
        "PENDING_QUEUE_URL": queues.pending_url,
        "CONFIRMED_QUEUE_URL": queues.confirmed_url,
        "EXPECTED_TASK_ROLE_NAME": CONTEXT.task_role_name,
        "EXECUTION_ROLE_NAME": CONTEXT.execution_role_name,
    }


def build_app(env: dict[str, str | None]) -> Flask:
    """The app for ``env`` (``None`` values removed), with clients on a fresh session."""
    environ = {k: v for k, v in env.items() if v is not None}
    return settled(
        create_app(environ=environ, clients=build_clients(CONTEXT.region, session=fresh_session()))
    )


def settled(app: Flask) -> Flask:
    """``app`` once its start-up identity line is logged (in-process moto must still be on)."""
    app.extensions[IDENTITY_AT_START].join(timeout=30)
    return app


@pytest.fixture
def moto_queues(tmp_path: Path) -> Iterator[MotoQueues]:
    with moto_with_queues(tmp_path) as queues:
        yield queues


@pytest.fixture(scope="module")
def module_moto_queues(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoQueues]:
    """One moto and queue pair for a module of tests that leave no messages behind."""
    with moto_with_queues(tmp_path_factory.mktemp("aws")) as queues:
        yield queues


@pytest.fixture(scope="module")
def module_api(module_moto_queues: MotoQueues) -> ApiClient:
    """A client of one app shared by a module of tests (for tables of hostile input)."""
    return ApiClient(build_app(dict(env_for(module_moto_queues))))


@pytest.fixture
def service_env(moto_queues: MotoQueues) -> dict[str, str]:
    """The service's environment, as the task definition sets it."""
    return env_for(moto_queues)


@pytest.fixture
def api_key(secret_guard: SecretGuard) -> str:
    key = secrets.token_urlsafe(24)
    secret_guard.register(key)
    return key


class ApiClient:
    """Flask's test client, checking every response against the app's OpenAPI document."""

    def __init__(self, app: Flask, headers: dict[str, str] | None = None) -> None:
        self.app = app
        self.client = app.test_client()
        self.headers = headers or {}
        self.document = openapi_document(app)

    def request(self, method: str, path: str, **kwargs: Any) -> TestResponse:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        response = self.client.open(path, method=method, headers=headers, **kwargs)
        problems = response_problems(
            self.document,
            method,
            path.split("?")[0],
            response.status_code,
            response.headers,
            response.get_data(),
        )
        assert not problems, problems
        return response

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("POST", path, **kwargs)


@pytest.fixture
def make_app(service_env: dict[str, str]) -> Callable[..., Flask]:
    """Build the app from ``service_env`` plus overrides (``None`` removes a variable)."""

    def build(**overrides: str | None) -> Flask:
        return build_app({**service_env, **overrides})

    return build


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def api(app: Flask) -> ApiClient:
    """A client of the app without an API key configured."""
    return ApiClient(app)


@pytest.fixture
def keyed_app(make_app: Callable[..., Flask], api_key: str) -> Flask:
    return make_app(API_KEY=api_key)


@pytest.fixture
def keyed_api(keyed_app: Flask, api_key: str) -> ApiClient:
    """A client of an app with an API key, sending the key."""
    return ApiClient(keyed_app, headers={"X-Api-Key": api_key})
