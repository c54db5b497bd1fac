"""The secret guard itself: it learns secrets without help and fails a run that leaks one."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from tests.service.conftest import CONTEXT, isolate_from_host_aws
from tests.service.secret_guard import GUARD, SecretGuard, mask, secrets_in
from tests.support.processes import PROJECT_ROOT, clean_env


def test_secrets_issued_by_sts_become_known(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    isolate_from_host_aws(monkeypatch, tmp_path)
    with mock_aws():
        credentials = boto3.client("sts", region_name=CONTEXT.region).get_session_token()[
            "Credentials"
        ]
    assert credentials["SecretAccessKey"] in GUARD.secrets
    assert credentials["SessionToken"] in GUARD.secrets


def test_secret_keys_used_to_sign_become_known(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    isolate_from_host_aws(monkeypatch, tmp_path)
    secret = "signing-secret-" + tmp_path.name
    with mock_aws():
        sqs = boto3.client(
            "sqs",
            region_name=CONTEXT.region,
            aws_access_key_id="AKIAEXAMPLEEXAMPLE",
            aws_secret_access_key=secret,
        )
        sqs.list_queues()
    assert secret in GUARD.secrets


def test_secret_members_are_found_anywhere_in_a_response() -> None:
    response = {
        "Credentials": {"AccessKeyId": "AKIA", "SecretAccessKey": "s1", "SessionToken": "t1"}
    }
    nested = {"items": [{"authorizationData": [{"Token": "t2"}]}]}
    assert set(secrets_in(response)) == {"s1", "t1"}
    assert set(secrets_in(nested)) == {"t2"}


def test_scan_reports_where_without_revealing_the_secret() -> None:
    guard = SecretGuard()
    guard.register("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "short")
    guard.observe("a response", "nothing here")
    guard.observe("a log line", '{"message": "key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}')
    [leak] = guard.new_leaks()
    assert leak.where == "a log line"
    assert "K7MDENG" not in str(leak)
    assert guard.new_leaks() == []  # each text is checked once per test...
    assert len(guard.all_leaks()) == 1  # ...and all of them again at the end
    assert "short" not in guard.secrets  # placeholders are too short to guard


def test_mask_reveals_no_part_of_the_secret() -> None:
    hint = mask("abcdefghijklmnop")
    assert hint.endswith("(16 chars)")
    assert not any(part in hint for part in ("abc", "mnop"))


INNER_CONFTEST = """
from tests.conftest import secret_guard  # noqa: F401
from tests.service.conftest import *  # noqa: F401,F403
from tests.service.secret_guard import (  # noqa: F401
    pytest_configure, pytest_runtest_makereport, pytest_sessionfinish, pytest_unconfigure,
)
"""

INNER_TESTS = """
import logging

import boto3
from moto import mock_aws


def test_prints_an_issued_token():
    with mock_aws():
        credentials = boto3.client("sts", region_name="us-east-1").get_session_token()["Credentials"]
    print("token:", credentials["SessionToken"])


def test_logs_a_registered_key(secret_guard):
    secret_guard.register("registered-api-key-0001")
    logging.getLogger("anything").warning("key is registered-api-key-0001")


def test_service_response_with_a_secret(make_app, secret_guard):
    app = make_app()
    secret_guard.register("response-secret-0001")

    @app.get("/leak")
    def leak():
        return {"value": "response-secret-0001"}

    assert app.test_client().get("/leak").status_code == 200


def test_clean():
    print("nothing secret here")


def test_prints_before_the_secret_is_known():
    print("late-secret-0001")


def test_registers_it_afterwards(secret_guard):
    secret_guard.register("late-secret-0001")
"""


def test_guard_fails_leaking_tests_and_the_run(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(textwrap.dedent(INNER_CONFTEST))
    (tmp_path / "test_inner.py").write_text(textwrap.dedent(INNER_TESTS))
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--show-capture=no",
            "--rootdir",
            str(tmp_path),
            "-c",
            str(tmp_path / "pytest.ini"),
            str(tmp_path / "test_inner.py"),
        ],
        cwd=tmp_path,
        # The short summary repeats each failure message unless the terminal is too narrow
        # for it, so the width is fixed rather than taken from whoever runs the suite.
        env=clean_env(PYTHONPATH=str(PROJECT_ROOT), COLUMNS="400"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-2000:]
    assert "3 failed, 3 passed" in output, output[-2000:]
    failures, _, summary = output.partition("short test summary info")
    assert failures.count("a secret leaked into what this test saw") == 3, output[-2000:]
    for name in (
        "prints_an_issued_token",
        "logs_a_registered_key",
        "service_response_with_a_secret",
    ):
        assert f"FAILED test_inner.py::test_{name}" in summary
    assert "secret guard: " in output and "late-secret" not in output
    assert "appeared in test_inner.py::test_prints_before_the_secret_is_known" in output
    assert "registered-api-key-0001" not in output and "response-secret-0001" not in output
