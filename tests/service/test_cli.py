"""``python -m service``: whoami's report and exit status, the container health check, usage."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from moto import mock_aws

from artifacts.context import DeploymentContext
from service.cli import main
from tests.service.secret_guard import SecretGuard
from tests.service.test_identity_chain import LoopbackEndpoint, isolate_aws_environment
from tests.support.processes import (
    PROJECT_ROOT,
    clean_env,
    moto_server_process,
    refusing_port,
)

CONTEXT = DeploymentContext()
KEY_ID = "AKIACLITESTKEY000001"
SECRET = "cli-secret-access-key-never-shown"
SESSION_TOKEN = "cli-session-token-never-shown"


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    isolate_aws_environment(monkeypatch, tmp_path)


@pytest.fixture
def moto_sts() -> Iterator[None]:
    with mock_aws(config={"core": {"mock_credentials": False}}):
        yield


@pytest.fixture
def static_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION_TOKEN)
    monkeypatch.setenv("AWS_REGION", CONTEXT.region)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the command line in-process; returns (status, stdout, stderr)."""
    try:
        status = main(list(argv))
    except SystemExit as exit_:  # argparse exits for --help and usage errors
        status = int(exit_.code or 0)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    for secret in (SECRET, SESSION_TOKEN):
        assert secret not in out + err
    return status, out, err


# -- whoami -------------------------------------------------------------------------------------
def test_whoami_exits_0_when_nothing_is_wrong(
    moto_sts: None, static_keys: None, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "whoami")

    assert status == 0
    assert f"arn:aws:sts::{CONTEXT.account_id}:user/moto" in out
    assert "AKIA****0001" in out
    assert "No warnings." in out


def test_whoami_json_prints_the_whoami_document(
    moto_sts: None, static_keys: None, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "whoami", "--json")

    document = json.loads(out)
    assert status == 0
    assert document["account"] == CONTEXT.account_id
    assert document["credentials"]["source"] == "env"
    assert document["credentials"]["access_key_id"] == "AKIA****0001"
    assert document["warnings"] == []


def test_whoami_exits_1_on_an_error_warning(
    moto_sts: None,
    static_keys: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    elsewhere = DeploymentContext(region="eu-west-1")
    monkeypatch.setenv("PENDING_QUEUE_URL", elsewhere.queue_url(elsewhere.pending_queue_name))

    status, out, _ = run(capsys, "whoami", "--json")

    assert status == 1
    assert [w["code"] for w in json.loads(out)["warnings"]] == ["REGION_MISMATCH"]


def test_whoami_exits_0_with_only_a_warning_severity_finding(
    moto_sts: None,
    static_keys: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    expires_at = datetime.now(UTC) + timedelta(minutes=4)
    monkeypatch.setenv("AWS_CREDENTIAL_EXPIRATION", expires_at.strftime("%Y-%m-%dT%H:%M:%SZ"))

    status, out, _ = run(capsys, "whoami")

    assert status == 0
    assert "[warning] CREDENTIALS_EXPIRING" in out
    assert "[error]" not in out


def test_whoami_on_ecs_without_a_task_role_exits_1(
    moto_sts: None,
    static_keys: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ECS_CONTAINER_METADATA_URI_V4", f"http://127.0.0.1:{refusing_port()}/v4")

    status, out, _ = run(capsys, "whoami")

    assert status == 1
    assert "[error] NO_TASK_ROLE" in out
    assert "[error] NOT_USING_TASK_ROLE" in out
    assert "[warning] ECS_METADATA_UNAVAILABLE" in out


def test_whoami_without_a_region_still_reports_the_identity(
    moto_sts: None,
    static_keys: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("AWS_REGION")

    status, out, _ = run(capsys, "whoami", "--json")

    document = json.loads(out)
    assert status == 1
    assert document["region"] is None
    assert document["account"] == CONTEXT.account_id
    assert [w["code"] for w in document["warnings"]] == ["REGION_MISSING"]


def test_whoami_names_a_malformed_region_instead_of_blaming_the_credentials(
    moto_sts: None,
    static_keys: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("AWS_REGION", "eu west 1")

    status, out, err = run(capsys, "whoami")

    assert status == 1
    assert out == ""
    assert err.startswith("identity_unavailable: AWS_REGION (or AWS_DEFAULT_REGION) 'eu west 1'")


def test_whoami_exits_2_without_credentials(
    moto_sts: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_REGION", CONTEXT.region)

    status, out, err = run(capsys, "whoami")

    assert status == 2
    assert out == ""
    assert err.startswith("no_credentials: boto3 found no AWS credentials")


def test_whoami_json_without_credentials_prints_the_error_document(
    moto_sts: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_EXECUTION_ENV", "AWS_ECS_FARGATE")

    status, out, _ = run(capsys, "whoami", "--json")

    document = json.loads(out)
    assert status == 2
    assert document["error"]["code"] == "no_credentials"
    assert [w["code"] for w in document["warnings"]] == ["NO_TASK_ROLE", "REGION_MISSING"]


@pytest.mark.parametrize(
    ("env", "files", "message"),
    [
        ({"AWS_PROFILE": "nope"}, {}, "The config profile (nope) could not be found"),
        ({"AWS_ACCESS_KEY_ID": KEY_ID}, {}, "missing: AWS_SECRET_ACCESS_KEY"),
        (
            {
                "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:9/creds",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "{tmp}/token",
            },
            {"token": f"{SECRET}\n"},
            "not a legal header value",
        ),
        (
            {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://example.com/creds"},
            {},
            "Unsupported host",
        ),
    ],
    ids=["missing-profile", "partial-keys", "token-file-newline", "remote-full-uri"],
)
def test_whoami_exits_2_when_the_chain_is_broken(
    moto_sts: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Any,
    env: dict[str, str],
    files: dict[str, str],
    message: str,
) -> None:
    monkeypatch.setenv("AWS_REGION", CONTEXT.region)
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    for name, value in env.items():
        monkeypatch.setenv(name, value.replace("{tmp}", str(tmp_path)))

    status, _, err = run(capsys, "whoami")

    assert status == 2
    assert err.startswith("no_credentials: The AWS credentials could not be loaded")
    assert message in err


# -- healthcheck ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("status", "expected"), [(200, 0), (503, 1), (404, 1), (204, 1)])
def test_healthcheck_passes_only_on_200(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    status: int,
    expected: int,
) -> None:
    with LoopbackEndpoint() as endpoint:
        endpoint.answer("/healthz", {"status": "ok"} if status == 200 else "", status=status)
        monkeypatch.setenv("PORT", endpoint.url.rsplit(":", 1)[1])

        code, out, err = run(capsys, "healthcheck")

    assert code == expected
    assert endpoint.count("/healthz") == 1
    if expected:
        assert err.strip() == f"healthcheck: GET {endpoint.url}/healthz answered HTTP {status}"
    else:
        assert "HTTP 200" in out


@pytest.mark.parametrize("port", ["0", "65536", "http", "-1", "80 80", "²"])
def test_healthcheck_rejects_a_bad_port(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], port: str
) -> None:
    monkeypatch.setenv("PORT", port)

    code, _, err = run(capsys, "healthcheck")

    assert code == 1
    assert err.strip() == f"healthcheck: PORT {port!r} is not a port number"


def test_healthcheck_fails_with_one_line_when_nothing_listens(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PORT", str(refusing_port()))

    code, _, err = run(capsys, "healthcheck")

    assert code == 1
    assert err.count("\n") == 1 and "failed" in err


# -- usage ----------------------------------------------------------------------------------------
def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    assert "whoami" in out and "healthcheck" in out


def test_whoami_help_explains_the_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "whoami", "--help")
    assert code == 0
    assert "--json" in out and "2  no credentials found" in out


@pytest.mark.parametrize("argv", [["bogus"], [], ["whoami", "--yaml"], ["healthcheck", "now"]])
def test_usage_errors_exit_2_with_usage(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert err.startswith("usage: python -m service")


# -- as a process ---------------------------------------------------------------------------------
def run_module(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service", *args],
        env=clean_env(HOME=str(PROJECT_ROOT / ".no-home"), AWS_EC2_METADATA_DISABLED="true", **env),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=PROJECT_ROOT,
    )


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    with moto_server_process() as endpoint:
        yield endpoint


@pytest.mark.integration
def test_python_m_service_whoami_reports_against_a_moto_server(
    moto_endpoint: str, secret_guard: SecretGuard
) -> None:
    secret_guard.register(SECRET)
    result = run_module(
        "whoami",
        "--json",
        AWS_ENDPOINT_URL=moto_endpoint,
        AWS_ACCESS_KEY_ID=KEY_ID,
        AWS_SECRET_ACCESS_KEY=SECRET,
        AWS_REGION=CONTEXT.region,
        EXPECTED_TASK_ROLE_NAME=CONTEXT.task_role_name,
    )

    secret_guard.observe("python -m service whoami --json", result.stdout + result.stderr)
    document = json.loads(result.stdout)
    assert result.returncode == 1  # static keys are not the expected task role
    assert [w["code"] for w in document["warnings"]] == ["ROLE_MISMATCH"]
    assert SECRET not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.integration
def test_credentials_sts_rejects_exit_1_with_the_reason(secret_guard: SecretGuard) -> None:
    secret_guard.register(SECRET, SESSION_TOKEN)
    with moto_server_process() as endpoint:
        # From now on moto only accepts keys it issued itself.
        requests.post(f"{endpoint}/moto-api/reset-auth", data=b"0", timeout=10).raise_for_status()
        result = run_module(
            "whoami",
            AWS_ENDPOINT_URL=endpoint,
            AWS_ACCESS_KEY_ID=KEY_ID,
            AWS_SECRET_ACCESS_KEY=SECRET,
            AWS_SESSION_TOKEN=SESSION_TOKEN,
            AWS_REGION=CONTEXT.region,
            AWS_MAX_ATTEMPTS="1",
        )

    secret_guard.observe("python -m service whoami", result.stdout + result.stderr)
    assert result.returncode == 1
    assert result.stderr.startswith("identity_unavailable: STS rejected the credentials")
    assert "InvalidClientTokenId" in result.stderr
    for secret in (SECRET, SESSION_TOKEN):
        assert secret not in result.stdout + result.stderr


@pytest.mark.integration
def test_python_m_service_healthcheck_needs_no_aws_library() -> None:
    with LoopbackEndpoint() as endpoint:
        endpoint.answer("/healthz", {"status": "ok"})
        port = endpoint.url.rsplit(":", 1)[1]
        probe = (
            "import sys; from service.cli import main; code = main(['healthcheck']); "
            "loaded = [m for m in ('boto3', 'botocore', 'flask') if m in sys.modules]; "
            "print('loaded', loaded); sys.exit(code)"
        )
        result = subprocess.run(
            [sys.executable, "-c", probe],
            env=clean_env(PORT=port),
            capture_output=True,
            text=True,
            timeout=60,
            cwd=PROJECT_ROOT,
        )
        module = run_module("healthcheck", PORT=port)

    assert result.returncode == 0, result.stderr
    assert "loaded []" in result.stdout
    assert module.returncode == 0
    assert module.stdout.strip() == f"healthcheck: GET {endpoint.url}/healthz answered HTTP 200"
