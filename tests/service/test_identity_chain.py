"""The credential checker against the real botocore credential chain, with STS from moto.

Credentials come from where boto3 really finds them: environment keys, a container credentials
endpoint and a fake instance metadata service served over loopback HTTP, a shared credentials file.
moto answers ``sts:GetCallerIdentity`` in-process without faking the chain.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from botocore.utils import ContainerMetadataFetcher
from moto import mock_aws

from artifacts.context import DeploymentContext
from service.aws import build_clients
from service.awscalls import ALWAYS_ALLOWED, declared_calls
from service.errors import CredentialsUnavailable, IdentityUnavailable
from service.identity import (
    CredentialChecker,
    Expectations,
    report_to_dict,
    report_to_text,
)
from tests.support.processes import refusing_port

CONTEXT = DeploymentContext()
REGION = CONTEXT.region
ENV_KEY_ID = "AKIAENVKEYEXAMPLE123"
ENV_SECRET = "env-secret-access-key-never-shown"
AUTH_TOKEN = "container-auth-token-never-shown"

Route = Callable[[dict[str, str]], tuple[int, Any]]


class LoopbackEndpoint:
    """A real HTTP server on 127.0.0.1 that answers from a table of routes and records requests.

    A route maps ``(method, path)`` to a function of the request headers returning
    ``(status, body)``; a dict or list body is sent as JSON, anything else as text.
    """

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Route] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                headers = dict(self.headers.items())
                endpoint.requests.append((self.command, self.path, headers))
                route = endpoint.routes.get((self.command, self.path))
                status, body = route(headers) if route else (404, {"error": "no such path"})
                is_json = isinstance(body, dict | list)
                payload = (json.dumps(body) if is_json else str(body)).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json" if is_json else "text/plain")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_PUT = _answer

            def log_message(self, format: str, *args: object) -> None:
                """Keep test output quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def answer(self, path: str, body: Any, status: int = 200, method: str = "GET") -> None:
        """Answer ``method path`` with a fixed ``status`` and ``body``."""
        self.routes[(method, path)] = lambda _headers: (status, body)

    def count(self, path: str) -> int:
        return sum(1 for _method, seen, _headers in self.requests if seen == path)

    def __enter__(self) -> LoopbackEndpoint:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def isolate_aws_environment(monkeypatch: pytest.MonkeyPatch, home: Any) -> None:
    """No AWS or ECS setting of the developer's machine, no ~/.aws, no instance metadata."""
    for var in list(os.environ):
        if var.startswith(("AWS_", "ECS_")):
            monkeypatch.delenv(var)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    isolate_aws_environment(monkeypatch, tmp_path)


@pytest.fixture
def moto_sts() -> Iterator[None]:
    """moto in-process, leaving the credential chain alone."""
    with mock_aws(config={"core": {"mock_credentials": False}}):
        yield


@pytest.fixture
def endpoint() -> Iterator[LoopbackEndpoint]:
    with LoopbackEndpoint() as server:
        yield server


def role_credentials(role_name: str, session_name: str) -> dict[str, str]:
    """Temporary credentials of ``role_name`` issued by moto, so STS knows who they belong to."""
    setup = {"aws_access_key_id": "AKIDSETUPSETUPSETUP0", "aws_secret_access_key": "setup"}
    iam = boto3.client("iam", region_name=REGION, **setup)
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        iam.create_role(RoleName=role_name, AssumeRolePolicyDocument="{}")
    sts = boto3.client("sts", region_name=REGION, **setup)
    issued = sts.assume_role(RoleArn=CONTEXT.role_arn(role_name), RoleSessionName=session_name)
    return issued["Credentials"]


def container_document(credentials: dict[str, Any], expires_at: datetime) -> dict[str, str]:
    """The container credentials endpoint's answer, with the expiry in UTC ending in ``Z``."""
    return {
        "AccessKeyId": credentials["AccessKeyId"],
        "SecretAccessKey": credentials["SecretAccessKey"],
        "Token": credentials["SessionToken"],
        "Expiration": expires_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def serve_container_credentials(
    endpoint: LoopbackEndpoint, document: dict[str, str], token: str = AUTH_TOKEN
) -> str:
    """Serve ``document`` at /creds to requests carrying ``token``; returns the full URI."""
    endpoint.routes[("GET", "/creds")] = lambda headers: (
        (200, document) if headers.get("Authorization") == token else (401, "bad token")
    )
    return f"{endpoint.url}/creds"


def checker_for(expectations: Expectations | None = None) -> tuple[CredentialChecker, list[str]]:
    """A checker on freshly built clients, and the list of STS calls it makes (one entry each)."""
    clients = build_clients(REGION)
    sts_calls: list[str] = []
    clients.sts.meta.events.register(
        "before-call.sts.GetCallerIdentity", lambda **_: sts_calls.append("GetCallerIdentity")
    )
    return CredentialChecker(clients, expectations or Expectations(), environ=os.environ), sts_calls


def assert_shows_no_secret(report: Any, *secrets: str) -> None:
    shown = json.dumps(report_to_dict(report)) + report_to_text(report) + repr(report)
    for secret in secrets:
        assert secret not in shown


def codes(findings: Any) -> list[str]:
    return [finding.code for finding in findings]


# -- environment keys --------------------------------------------------------------------------
def test_environment_keys_are_reported_as_the_env_source(
    moto_sts: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ENV_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", ENV_SECRET)
    checker, _ = checker_for()

    report = checker.report()

    assert report.account == CONTEXT.account_id
    assert report.credentials.source == "env"
    assert "AWS_ACCESS_KEY_ID" in report.credentials.description
    assert report.credentials.access_key_id == "AKIA****E123"
    assert report.credentials.expires_at is None
    assert report.credentials.expires_in_seconds is None
    assert report.credentials.container_endpoint is None
    assert report.region == REGION
    assert report.ecs is None
    assert report.warnings == ()
    assert_shows_no_secret(report, ENV_SECRET)


def test_environment_keys_shadow_the_task_role_endpoint(
    moto_sts: None, monkeypatch: pytest.MonkeyPatch, endpoint: LoopbackEndpoint
) -> None:
    task_creds = role_credentials(CONTEXT.task_role_name, "task-id")
    full_uri = serve_container_credentials(
        endpoint, container_document(task_creds, datetime.now(UTC) + timedelta(hours=6))
    )
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", full_uri)
    monkeypatch.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", AUTH_TOKEN)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ENV_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", ENV_SECRET)
    checker, _ = checker_for(Expectations(expected_task_role_name=CONTEXT.task_role_name))

    report = checker.report()

    assert report.credentials.source == "env"
    assert endpoint.count("/creds") == 0  # the chain never got as far as the task role
    assert codes(report.warnings) == [
        "STATIC_KEYS_SHADOW_TASK_ROLE",
        "NOT_USING_TASK_ROLE",
        "ROLE_MISMATCH",
    ]
    assert report.has_errors


# -- container credentials endpoint -----------------------------------------------------------
def test_container_endpoint_with_authorization_token_is_the_task_role(
    moto_sts: None, monkeypatch: pytest.MonkeyPatch, endpoint: LoopbackEndpoint
) -> None:
    creds = role_credentials(CONTEXT.task_role_name, "0123456789abcdef")
    expires_at = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=6)
    document = container_document(creds, expires_at)
    monkeypatch.setenv(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI", serve_container_credentials(endpoint, document)
    )
    monkeypatch.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", AUTH_TOKEN)
    checker, _ = checker_for(
        Expectations(
            expected_task_role_name=CONTEXT.task_role_name,
            execution_role_name=CONTEXT.execution_role_name,
        )
    )

    report = checker.report()
    as_json = report_to_dict(report)

    assert report.principal_type == "assumed-role"
    assert report.role_name == CONTEXT.task_role_name
    assert report.session_name == "0123456789abcdef"
    assert report.arn == (
        f"arn:aws:sts::{CONTEXT.account_id}:assumed-role/{CONTEXT.task_role_name}/0123456789abcdef"
    )
    assert as_json["credentials"]["source"] == "container-role"
    assert as_json["credentials"]["container_endpoint"] == "AWS_CONTAINER_CREDENTIALS_FULL_URI"
    assert as_json["credentials"]["expires_at"] == document["Expiration"]
    assert 0 < as_json["credentials"]["expires_in_seconds"] <= 6 * 3600
    assert as_json["credentials"]["access_key_id"] == (
        f"{creds['AccessKeyId'][:4]}****{creds['AccessKeyId'][-4:]}"
    )
    assert report.warnings == ()  # on ECS (container credentials) and the expected role
    assert endpoint.requests[0][2]["Authorization"] == AUTH_TOKEN
    assert_shows_no_secret(report, AUTH_TOKEN, creds["SecretAccessKey"], creds["SessionToken"])


def test_container_endpoint_reads_the_token_from_the_token_file(
    moto_sts: None, monkeypatch: pytest.MonkeyPatch, endpoint: LoopbackEndpoint, tmp_path: Any
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("token-from-file")
    creds = role_credentials(CONTEXT.task_role_name, "task-from-file")
    document = container_document(creds, datetime.now(UTC) + timedelta(hours=1))
    monkeypatch.setenv(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        serve_container_credentials(endpoint, document, token="token-from-file"),
    )
    # The file wins over the variable.
    monkeypatch.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", AUTH_TOKEN)
    monkeypatch.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", str(token_file))
    checker, _ = checker_for()

    report = checker.report()

    assert report.credentials.source == "container-role"
    assert report.session_name == "task-from-file"
    assert [headers["Authorization"] for _m, _p, headers in endpoint.requests] == [
        "token-from-file"
    ]
    assert_shows_no_secret(report, "token-from-file", AUTH_TOKEN)


def test_execution_role_credentials_are_reported_as_the_wrong_role(
    moto_sts: None, monkeypatch: pytest.MonkeyPatch, endpoint: LoopbackEndpoint
) -> None:
    creds = role_credentials(CONTEXT.execution_role_name, "task-id")
    document = container_document(creds, datetime.now(UTC) + timedelta(hours=6))
    monkeypatch.setenv(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI", serve_container_credentials(endpoint, document)
    )
    monkeypatch.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", AUTH_TOKEN)
    checker, _ = checker_for(
        Expectations(
            expected_task_role_name=CONTEXT.task_role_name,
            execution_role_name=CONTEXT.execution_role_name,
        )
    )

    report = checker.report()

    assert report.role_name == CONTEXT.execution_role_name
    assert codes(report.warnings) == ["ROLE_MISMATCH", "EXECUTION_ROLE_IN_USE"]


def test_credentials_expiring_within_five_minutes_are_a_warning(
    moto_sts: None, monkeypatch: pytest.MonkeyPatch, endpoint: LoopbackEndpoint
) -> None:
    creds = role_credentials(CONTEXT.task_role_name, "short-lived")
    document = container_document(creds, datetime.now(UTC) + timedelta(minutes=4))
    monkeypatch.setenv(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI", serve_container_credentials(endpoint, document)
    )
    monkeypatch.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", AUTH_TOKEN)
    checker, _ = checker_for()

    report = checker.report()

    assert codes(report.warnings) == ["CREDENTIALS_EXPIRING"]
    assert report.warnings[0].severity == "warning"
    assert not report.has_errors
    assert 0 < report.credentials.expires_in_seconds < 300


def test_credentials_the_endpoint_serves_already_expired_make_the_identity_unavailable(
    moto_sts: None, monkeypatch: pytest.MonkeyPatch, endpoint: LoopbackEndpoint
) -> None:
    creds = role_credentials(CONTEXT.task_role_name, "expired")
    document = container_document(creds, datetime.now(UTC) - timedelta(minutes=1))
    monkeypatch.setenv(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI", serve_container_credentials(endpoint, document)
    )
    monkeypatch.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", AUTH_TOKEN)
    checker, sts_calls = checker_for()

    with pytest.raises(IdentityUnavailable) as caught:
        checker.report()

    assert "expired" in caught.value.message
    assert sts_calls == []
    for secret in (AUTH_TOKEN, creds["SecretAccessKey"], creds["SessionToken"]):
        assert secret not in caught.value.message


def test_container_endpoint_that_refuses_the_token_means_no_credentials(
    moto_sts: None, monkeypatch: pytest.MonkeyPatch, endpoint: LoopbackEndpoint
) -> None:
    monkeypatch.setattr(ContainerMetadataFetcher, "SLEEP_TIME", 0)  # botocore retries 3 times
    # Clients built before the endpoint was configured: the checker itself meets the failure.
    checker, sts_calls = checker_for()
    creds = role_credentials(CONTEXT.task_role_name, "task")
    document = container_document(creds, datetime.now(UTC) + timedelta(hours=1))
    full_uri = serve_container_credentials(endpoint, document, token="the-right-token")
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", full_uri)
    monkeypatch.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", AUTH_TOKEN)

    with pytest.raises(CredentialsUnavailable) as caught:
        checker.report()

    assert "container-role" in caught.value.message
    assert "401" in caught.value.message
    assert AUTH_TOKEN not in caught.value.message
    assert "the-right-token" not in caught.value.message
    assert sts_calls == []


# -- other sources ------------------------------------------------------------------------------
def test_shared_credentials_file_is_reported_as_its_source(moto_sts: None, tmp_path: Any) -> None:
    (tmp_path / "aws-credentials").write_text(
        f"[default]\naws_access_key_id = AKIAFILEKEYEXAMPLE99\naws_secret_access_key = {ENV_SECRET}\n"
    )
    checker, _ = checker_for()

    report = checker.report()

    assert report.credentials.source == "shared-credentials-file"
    assert "shared credentials file" in report.credentials.description
    assert report.credentials.access_key_id == "AKIA****LE99"
    assert report.warnings == ()
    assert_shows_no_secret(report, ENV_SECRET)


def test_no_credentials_anywhere_raises_credentials_unavailable(moto_sts: None) -> None:
    checker, sts_calls = checker_for()

    with pytest.raises(CredentialsUnavailable) as caught:
        checker.report()

    assert "no AWS credentials" in caught.value.message
    assert caught.value.warnings == ()
    assert sts_calls == []
    assert checker.last_report() is None


def test_no_credentials_on_ecs_carry_the_environment_warnings(
    moto_sts: None, monkeypatch: pytest.MonkeyPatch, endpoint: LoopbackEndpoint
) -> None:
    endpoint.answer("/v4/task", {"TaskARN": "arn:aws:ecs:us-east-1:123456789012:task/c/abc"})
    monkeypatch.setenv("ECS_CONTAINER_METADATA_URI_V4", f"{endpoint.url}/v4")
    checker, _ = checker_for()

    with pytest.raises(CredentialsUnavailable) as caught:
        checker.report()

    assert codes(caught.value.warnings) == ["NO_TASK_ROLE"]


def test_instance_profile_on_ecs_is_an_instance_role_fallback(
    moto_sts: None, monkeypatch: pytest.MonkeyPatch, endpoint: LoopbackEndpoint
) -> None:
    creds = role_credentials("ec2-instance-role", "i-0123456789abcdef0")
    document = container_document(creds, datetime.now(UTC) + timedelta(hours=6))
    imds = "/latest/meta-data/iam/security-credentials/"
    endpoint.answer("/latest/api/token", "imds-session-token", method="PUT")
    endpoint.answer(imds, "ec2-instance-role")
    endpoint.answer(imds + "ec2-instance-role", {"Code": "Success", **document})
    endpoint.answer(
        "/v4/task",
        {
            "Cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/default",
            "TaskARN": "arn:aws:ecs:us-east-1:123456789012:task/default/0123",
            "Family": CONTEXT.task_family,
            "Revision": "3",
            "LaunchType": "EC2",
            "AvailabilityZone": "us-east-1b",
        },
    )
    monkeypatch.delenv("AWS_EC2_METADATA_DISABLED")
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", endpoint.url + "/")
    monkeypatch.setenv("ECS_CONTAINER_METADATA_URI_V4", f"{endpoint.url}/v4")
    monkeypatch.setenv("AWS_EXECUTION_ENV", "AWS_ECS_EC2")
    checker, _ = checker_for()

    report = checker.report()

    assert report.credentials.source == "iam-role"
    assert report.role_name == "ec2-instance-role"
    assert report.ecs is not None and report.ecs.launch_type == "EC2"
    assert report.ecs.revision == "3"
    assert codes(report.warnings) == [
        "NO_TASK_ROLE",
        "NOT_USING_TASK_ROLE",
        "INSTANCE_ROLE_FALLBACK",
    ]
    assert_shows_no_secret(report, creds["SecretAccessKey"], creds["SessionToken"])


def test_sts_unreachable_makes_the_identity_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ENV_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", ENV_SECRET)
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{refusing_port()}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    checker, sts_calls = checker_for()

    with pytest.raises(IdentityUnavailable) as caught:
        checker.report()

    assert caught.value.message.startswith("STS could not be reached")
    assert ENV_SECRET not in caught.value.message
    assert sts_calls == ["GetCallerIdentity"]


# -- caching ------------------------------------------------------------------------------------
def test_repeated_reports_ask_sts_once(moto_sts: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ENV_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", ENV_SECRET)
    checker, sts_calls = checker_for()

    reports = [checker.report() for _ in range(5)]

    assert sts_calls == ["GetCallerIdentity"]
    assert {report.arn for report in reports} == {reports[0].arn}
    assert checker.last_report() is reports[-1]
    checker.report(refresh=True)
    assert len(sts_calls) == 2


def test_a_new_access_key_is_checked_again(
    moto_sts: None, monkeypatch: pytest.MonkeyPatch, endpoint: LoopbackEndpoint
) -> None:
    # 12 minutes left is inside botocore's advisory refresh window: every report refreshes.
    expires_at = datetime.now(UTC) + timedelta(minutes=12)
    first = container_document(role_credentials(CONTEXT.task_role_name, "first"), expires_at)
    second = container_document(role_credentials(CONTEXT.task_role_name, "second"), expires_at)
    served = {"document": first}
    endpoint.routes[("GET", "/creds")] = lambda _headers: (200, served["document"])
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", f"{endpoint.url}/creds")
    checker, sts_calls = checker_for()

    assert checker.report().session_name == "first"
    assert checker.report().session_name == "first"
    refreshes = endpoint.count("/creds")
    assert len(sts_calls) == 1
    served["document"] = second
    assert checker.report().session_name == "second"

    assert refreshes >= 2  # the key id was re-read each time, yet STS was asked once for it
    assert len(sts_calls) == 2


def test_concurrent_first_reports_share_one_sts_call(
    moto_sts: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ENV_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", ENV_SECRET)
    checker, sts_calls = checker_for()
    start = threading.Barrier(8)
    arns: list[str] = []

    def report() -> None:
        start.wait()
        arns.append(checker.report().arn)

    threads = [threading.Thread(target=report) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(arns) == 8 and len(set(arns)) == 1
    assert sts_calls == ["GetCallerIdentity"]


def test_the_sts_call_is_declared_in_the_aws_call_inventory() -> None:
    declared = [call for call in declared_calls() if call.action == "sts:GetCallerIdentity"]
    assert [(call.scope, call.caller) for call in declared] == [
        (ALWAYS_ALLOWED, "service.identity.checker.get_caller_identity")
    ]
